// PaymentService: paying for an order by authorising its price on a card, then capturing the
// hold once orders completed the order or releasing it once orders cancelled it (DESIGN.md
// section 4, payments: money moves only for orders that complete). Knows storage only through
// its repositories in units of work (PaymentsTransactions) and the card network only through
// PaymentGateway; no SQL, HTTP or NATS types (it throws domain errors, common/domain/errors.hpp,
// which the error middleware answers with the statuses below).
//
// Paying, in three steps so that no database transaction is open during the gateway call:
//   1. claim: one transaction re-reads the order replica (404 / 401 / cancelled / paid) and
//      inserts a `pending` attempt; the repository allows one pending or succeeded attempt per
//      order, so a concurrent second request gets "A payment for this order is in progress" (or
//      "Order has already been paid");
//   2. authorise: the gateway call carries `pay-<orderId>-<attempt id>`, so resending it (a
//      retry after a lost answer, a resumed attempt) can never hold the card twice;
//   3. record: a decline marks the attempt failed (402, another card may be tried); a success
//      locks the order row, re-reads its status, marks the attempt succeeded and inserts the
//      payment as `authorized`, with payment:created in the outbox, all in one transaction. If
//      the order was cancelled meanwhile the payment is recorded without the event, the hold is
//      released and the answer is 400 "Cannot pay for a cancelled order".
// Settling: SettleOrder, called by the order:completed and order:cancelled listeners after they
// applied the order's new status, captures (`capture-<payment id>`) or releases
// (`release-<payment id>`) the order's authorised payment. A gateway that is unavailable leaves
// it authorised and throws, so the event is retried (never dead-lettered); a refusal for good
// marks the payment `failed` with the gateway's message, logs an error and calls
// on_settlement_failed. Recover() settles what is still due on a timer, as well.
// A request that stops before recording (gateway unavailable, crash) leaves the attempt pending
// with its card token and key: after its lease a new request or Recover() resumes it with the
// same key, which returns the original authorisation if there was one (within resume_window,
// while the gateway still remembers the key).
// Thread-safety: safe from any thread (its collaborators are).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

#include "domain/payment.hpp"
#include "domain/payment_gateway.hpp"
#include "storage/payments_unit_of_work.hpp"

namespace ticketing::payments {

inline constexpr std::string_view kCannotPayCancelled = "Cannot pay for a cancelled order";
inline constexpr std::string_view kAlreadyPaid = "Order has already been paid";
inline constexpr std::string_view kPaymentInProgress = "A payment for this order is in progress";
inline constexpr std::string_view kGatewayUnavailable = "Payment gateway unavailable, please retry";
inline constexpr std::string_view kCurrency = "usd";

struct PaymentServiceOptions {
    // How long a claimed attempt belongs to the request that claimed it. Longer than the
    // gateway's worst case (StripeGateway: attempts × total timeout + backoff), so a live request
    // is never overtaken.
    std::chrono::milliseconds lease{std::chrono::minutes(2)};
    // Only attempts younger than this are resumed: Stripe forgets idempotency keys after 24 h,
    // and resending an older key could charge a second time. Older ones stay pending for a
    // person to reconcile (their order has long expired).
    std::chrono::milliseconds resume_window{std::chrono::hours(23)};
    // Rows Recover() looks at per pass.
    std::size_t recovery_batch = 100;
    // Called (from the settling thread) when the gateway refused a capture or release for good;
    // may be empty. main() counts these in a metric.
    std::function<void(Settlement)> on_settlement_failed;
};

// What one Recover() pass did.
struct RecoveryReport {
    std::size_t attempts_settled = 0;
    std::size_t settlements_made = 0;  // captures and releases, also those refused for good
    std::size_t failures = 0;          // left for the next pass (the gateway was unavailable)
    bool more = false;  // a query filled its batch: more may be waiting (run again at once)
};

class PaymentService final {
public:
    PaymentService(PaymentsTransactions& transactions,
                   PaymentGateway& gateway,
                   const util::Clock& clock,
                   util::IdGenerator& ids,
                   PaymentServiceOptions options = {});

    // Authorises the order's price on `token` for `user_id`. Throws, in this order:
    // NotFoundError (404: unknown or malformed order id), NotOwnerError (401: another user's
    // order), RuleViolation (400) kCannotPayCancelled, kAlreadyPaid, kPaymentInProgress;
    // ConflictError (409: the attempt in the way was gone when looked at: retry); then
    // DeclinedError (402, the gateway's message), RuleViolation (400: invalid token, the
    // gateway's message), UnavailableError (503) kGatewayUnavailable, or RuleViolation
    // kCannotPayCancelled when the order was cancelled during the authorisation (released).
    Payment Pay(const std::string& user_id,
                const std::string& order_id,
                const std::string& token,
                const std::string& traceparent);

    // The payment `payment_id` for its buyer. Throws NotFoundError (unknown or malformed id),
    // NotOwnerError (another user's payment).
    Payment Find(const std::string& user_id, const std::string& payment_id);

    // Captures the order's authorised payment if the order completed, releases it if the order
    // was cancelled; nothing otherwise. Returns the payment's status after, or nullopt when
    // nothing was due. Throws GatewayError kUnavailable (try again later: the same key is used).
    std::optional<PaymentStatus> SettleOrder(const std::string& order_id);

    // Settles what requests and events left behind: resumes pending attempts whose lease ended
    // (same key) and makes the captures and releases still due. Never throws for gateway
    // trouble (counted in failures).
    RecoveryReport Recover();

private:
    enum class Outcome { kPaid, kDeclined, kInvalid, kUnavailable, kCancelled, kInProgress };
    struct Settled {
        Outcome outcome = Outcome::kUnavailable;
        std::optional<Payment> payment;
        std::string message;
    };

    // Step 1: the attempt to charge (new, or a pending one whose lease ended). Throws the
    // domain errors.
    PaymentAttempt Claim(const std::string& user_id,
                         const std::string& order_id,
                         const std::string& token);
    // Steps 2 and 3 for a claimed attempt.
    Settled Authorize(const PaymentAttempt& attempt, const std::string& traceparent);
    // Step 3 after a successful authorisation.
    Settled RecordAuthorization(const PaymentAttempt& attempt,
                                const std::string& charge_id,
                                const std::string& traceparent);
    // What became of an attempt that another request or replica settled first.
    Settled OutcomeOf(const std::string& attempt_id);
    // Captures or releases `payment` at the gateway and records the outcome; returns the status
    // recorded (or found, when someone else settled it first). Throws GatewayError kUnavailable.
    PaymentStatus SettlePayment(const Payment& payment, Settlement settlement);

    PaymentsTransactions& transactions_;
    PaymentGateway& gateway_;
    const util::Clock& clock_;
    util::IdGenerator& ids_;
    PaymentServiceOptions options_;
};

}  // namespace ticketing::payments

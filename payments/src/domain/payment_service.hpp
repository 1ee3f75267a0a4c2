// PaymentService: paying for an order exactly once and refunding what must not be kept
// (DESIGN.md section 4, payments). Knows SQL only through PaymentStore and the card network only
// through PaymentGateway; no HTTP or NATS types (it throws the typed request errors).
//
// Paying, in three steps so that no database transaction is open during the gateway call:
//   1. claim: one transaction re-reads the order replica (404 / 401 / cancelled / paid) and
//      inserts a `pending` attempt; the partial unique index allows one pending or succeeded
//      attempt per order, so a concurrent second request gets "A payment for this order is in
//      progress" (or "Order has already been paid");
//   2. charge: the gateway call carries `pay-<orderId>-<attempt id>`, so resending it (a retry
//      after a lost answer, a resumed attempt) can never charge twice;
//   3. settle: a decline marks the attempt failed (402, another card may be tried); a success
//      locks the order row, re-reads its status, marks the attempt succeeded and inserts the
//      payment, with payment:created in the outbox, all in one transaction. If the order was
//      cancelled meanwhile the payment is recorded without the event, the charge is refunded
//      (`refund-<payment id>`) and the answer is 400 "Cannot pay for a cancelled order".
// A request that stops before settling (gateway unavailable, crash) leaves the attempt pending
// with its card token and key: after its lease a new request or Recover() resumes it with the
// same key, which returns the original charge if there was one (within resume_window, while the
// gateway still remembers the key).
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

namespace ticketing::db {
class Database;
}

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
};

// What one Recover() pass did.
struct RecoveryReport {
    std::size_t attempts_settled = 0;
    std::size_t refunds_made = 0;
    std::size_t failures = 0;  // left for the next pass (the gateway was unavailable)
};

class PaymentService final {
public:
    // `events_written` is called after a transaction that added outbox rows has committed (the
    // relay's Wake); it may be empty.
    PaymentService(db::Database& db,
                   PaymentGateway& gateway,
                   const util::Clock& clock,
                   util::IdGenerator& ids,
                   std::function<void()> events_written,
                   PaymentServiceOptions options = {});

    // Charges the order's price to `token` for `user_id`. Throws, in this order: 404 (unknown or
    // malformed order id), 401 (another user's order), 400 kCannotPayCancelled, 400
    // kAlreadyPaid, 400 kPaymentInProgress; then 402 (declined, the gateway's message), 400
    // (invalid token, the gateway's message), 503 kGatewayUnavailable, or 400
    // kCannotPayCancelled when the order was cancelled during the charge (refunded).
    Payment Pay(const std::string& user_id,
                const std::string& order_id,
                const std::string& token,
                const std::string& traceparent);

    // Refunds the order's payment if the order is cancelled and the payment not yet refunded;
    // returns the refund id recorded now, or nullopt when nothing was owed. Throws GatewayError
    // (kUnavailable: try again later, the same key is used).
    std::optional<std::string> RefundIfOwed(const std::string& order_id);

    // Settles what requests left behind: resumes pending attempts whose lease ended (same key)
    // and makes the refunds still owed. Never throws for gateway trouble (counted in failures).
    RecoveryReport Recover();

private:
    enum class Outcome { kPaid, kDeclined, kInvalid, kUnavailable, kCancelled, kInProgress };
    struct Settled {
        Outcome outcome = Outcome::kUnavailable;
        std::optional<Payment> payment;
        std::string message;
    };

    // Step 1: the attempt to charge (new, or a pending one whose lease ended). Throws the
    // request errors.
    PaymentAttempt Claim(const std::string& user_id,
                         const std::string& order_id,
                         const std::string& token);
    // Steps 2 and 3 for a claimed attempt.
    Settled Settle(const PaymentAttempt& attempt, const std::string& traceparent);
    // Step 3 after a successful charge.
    Settled RecordCharge(const PaymentAttempt& attempt,
                         const std::string& charge_id,
                         const std::string& traceparent);
    // What became of an attempt that another request or replica settled first.
    Settled OutcomeOf(const std::string& attempt_id);
    std::string RefundAndRecord(const Payment& payment);

    db::Database& db_;
    PaymentGateway& gateway_;
    const util::Clock& clock_;
    util::IdGenerator& ids_;
    std::function<void()> events_written_;
    PaymentServiceOptions options_;
};

}  // namespace ticketing::payments

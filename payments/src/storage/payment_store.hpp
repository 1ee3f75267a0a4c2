// PaymentStore: the payments service's SQL, one function per statement, always on a session the
// caller holds (so a request or a listener runs several of them in one transaction with the
// outbox and inbox rows). Portable between SQLite and PostgreSQL (db/database.hpp).
// Thread-safety: stateless; a session belongs to one thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "domain/payment.hpp"

namespace soci {
class session;
}

namespace ticketing::payments {

// An authorised payment and what its order's outcome owes it.
struct DueSettlement {
    Payment payment;
    Settlement settlement = Settlement::kCapture;
};

class PaymentStore final {
public:
    // ---- order replica ----
    static std::optional<OrderReplica> FindOrder(soci::session& s, const std::string& id);
    // False when the order is already there.
    static bool InsertOrder(soci::session& s, const OrderReplica& o);
    // Applies `version` with `status` only over version - 1; false when no row matched.
    static bool UpdateOrderFromPrevious(soci::session& s,
                                        const std::string& id,
                                        OrderStatus status,
                                        std::int64_t version);
    // Takes the order row's write lock until the transaction ends (a no-op UPDATE), so a
    // transaction that then reads the status is ordered against a concurrent status change.
    static void LockOrder(soci::session& s, const std::string& id);

    // ---- payment attempts ----
    // False when the order already has a pending or succeeded attempt (the partial unique index
    // decides).
    static bool InsertAttempt(soci::session& s, const PaymentAttempt& a);
    static std::optional<PaymentAttempt> FindAttempt(soci::session& s, const std::string& id);
    // The order's pending or succeeded attempt, if any.
    static std::optional<PaymentAttempt> FindActiveAttempt(soci::session& s,
                                                           const std::string& order_id);
    // Moves a pending attempt's lease from `old_lease` to `new_lease`; false when another
    // request or replica changed it first.
    static bool TakeOverAttempt(soci::session& s,
                                const std::string& id,
                                util::TimePoint old_lease,
                                util::TimePoint new_lease);
    // Ends the lease of a pending attempt now (its request gave up: it may be resumed at once).
    static bool ReleaseAttempt(soci::session& s, const std::string& id, util::TimePoint now);
    // pending → succeeded with the charge id; forgets the card token. False when not pending.
    static bool SucceedAttempt(soci::session& s,
                               const std::string& id,
                               const std::string& charge_id,
                               util::TimePoint now);
    // pending → failed with the gateway's message; forgets the card token. False when not
    // pending.
    static bool FailAttempt(soci::session& s,
                            const std::string& id,
                            const std::string& failure,
                            util::TimePoint now);
    // Pending attempts created after `created_after` whose lease ended before `now`, oldest
    // lease first.
    static std::vector<PaymentAttempt> ExpiredAttempts(soci::session& s,
                                                       util::TimePoint now,
                                                       util::TimePoint created_after,
                                                       std::size_t limit);

    // ---- payments ----
    static void InsertPayment(soci::session& s, const Payment& p);
    static std::optional<Payment> FindPayment(soci::session& s, const std::string& id);
    static std::optional<Payment> FindPaymentOfOrder(soci::session& s, const std::string& order_id);
    // Authorised payments whose order completed (capture) or was cancelled (release), oldest
    // first; only the given order's when `order_id` is set.
    static std::vector<DueSettlement> DueSettlements(soci::session& s,
                                                     const std::optional<std::string>& order_id,
                                                     std::size_t limit);
    // authorized → `status` (captured, released or failed) with the release's refund id or the
    // failure; false when the payment is not authorized any more (settled by someone else).
    static bool RecordSettlement(soci::session& s,
                                 const std::string& payment_id,
                                 PaymentStatus status,
                                 const std::optional<std::string>& refund_id,
                                 const std::optional<std::string>& failure,
                                 util::TimePoint now);
    // Payments whose capture or release the gateway refused for good (for `status`).
    static std::size_t CountFailedSettlements(soci::session& s);
};

}  // namespace ticketing::payments

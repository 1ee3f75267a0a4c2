// PaymentRepository: the port through which the payments service keeps its payments (succeeded
// authorisations) and finds the captures and releases their orders' outcomes make due. Reached
// only through a PaymentsUnitOfWork. SqlPaymentRepository is the SQL implementation; domain and
// listener tests use test::InMemoryPaymentRepository (common/testing/payments/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"

#include "domain/payment.hpp"

namespace ticketing::payments {

// An authorised payment and what its order's outcome owes it.
struct DueSettlement {
    Payment payment;
    Settlement settlement = Settlement::kCapture;
};

class PaymentRepository {
public:
    virtual ~PaymentRepository() = default;

    // One payment per order, of a known order and attempt: anything else is a bug (it throws).
    virtual void Insert(const Payment& payment) = 0;
    virtual std::optional<Payment> Find(const std::string& id) = 0;
    virtual std::optional<Payment> FindOfOrder(const std::string& order_id) = 0;
    // Authorised payments whose order (in the order replica) completed (capture) or was
    // cancelled (release), oldest first (then by id), at most `limit`; only the given order's
    // when `order_id` is set.
    virtual std::vector<DueSettlement> DueSettlements(const std::optional<std::string>& order_id,
                                                      std::size_t limit) = 0;
    // authorized → `status` (captured, released or failed) with the release's refund id or the
    // failure; false when the payment is not authorized any more (settled by someone else).
    virtual bool RecordSettlement(const std::string& payment_id,
                                  PaymentStatus status,
                                  const std::optional<std::string>& refund_id,
                                  const std::optional<std::string>& failure,
                                  util::TimePoint now) = 0;
    // Payments whose capture or release the gateway refused for good (for a metric).
    virtual std::size_t CountFailedSettlements() = 0;
};

}  // namespace ticketing::payments

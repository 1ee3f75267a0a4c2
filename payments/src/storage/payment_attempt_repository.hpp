// PaymentAttemptRepository: the port through which the payments service keeps its payment
// attempts, one claimed try at authorising an order's price on a card. At most one attempt per
// order is pending or succeeded at a time, on any number of replicas: that is what makes one
// authorisation per order. Reached only through a PaymentsUnitOfWork. SqlPaymentAttemptRepository
// is the SQL implementation (the partial unique index decides); domain and listener tests use
// test::InMemoryPaymentAttemptRepository (common/testing/payments/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"

#include "domain/payment.hpp"

namespace ticketing::payments {

class PaymentAttemptRepository {
public:
    virtual ~PaymentAttemptRepository() = default;

    // False when the order already has a pending or succeeded attempt (or the id is taken):
    // nothing is written.
    virtual bool Insert(const PaymentAttempt& attempt) = 0;
    virtual std::optional<PaymentAttempt> Find(const std::string& id) = 0;
    // The order's pending or succeeded attempt, if any.
    virtual std::optional<PaymentAttempt> FindActive(const std::string& order_id) = 0;
    // Moves a pending attempt's lease from `old_lease` to `new_lease`; false when another
    // request or replica changed it first.
    virtual bool TakeOver(const std::string& id,
                          util::TimePoint old_lease,
                          util::TimePoint new_lease) = 0;
    // Ends the lease of a pending attempt now (its request gave up: it may be resumed at once).
    // False when it is not pending.
    virtual bool EndLease(const std::string& id, util::TimePoint now) = 0;
    // pending → succeeded with the charge id; forgets the card token. False when not pending.
    virtual bool MarkSucceeded(const std::string& id,
                               const std::string& charge_id,
                               util::TimePoint now) = 0;
    // pending → failed with the gateway's message; forgets the card token. False when not
    // pending.
    virtual bool MarkFailed(const std::string& id,
                            const std::string& failure,
                            util::TimePoint now) = 0;
    // Pending attempts created after `created_after` whose lease ended before `now`, oldest
    // lease first (then by id), at most `limit`.
    virtual std::vector<PaymentAttempt> Expired(util::TimePoint now,
                                                util::TimePoint created_after,
                                                std::size_t limit) = 0;
};

}  // namespace ticketing::payments

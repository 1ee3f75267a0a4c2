// OrderReplicaRepository: the port through which the payments service keeps its replica of the
// orders (what it needs to charge one and to refuse one), fed by the order events with the
// version rule. Reached only through a PaymentsUnitOfWork, so several calls share one transaction
// with their outbox and inbox rows. SqlOrderReplicaRepository is the SQL implementation; domain
// and listener tests use test::InMemoryOrderReplicaRepository (common/testing/payments/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/payment.hpp"

namespace ticketing::payments {

class OrderReplicaRepository {
public:
    virtual ~OrderReplicaRepository() = default;

    virtual std::optional<OrderReplica> Find(const std::string& id) = 0;
    // False when the order is already there: nothing is written.
    virtual bool Insert(const OrderReplica& order) = 0;
    // Applies `version` with `status` only over version - 1; false when no row matched.
    virtual bool UpdateFromPrevious(const std::string& id,
                                    OrderStatus status,
                                    std::int64_t version) = 0;
    // Takes the order's write lock until the unit of work ends, so a unit of work that then reads
    // the status is ordered against a concurrent status change.
    virtual void Lock(const std::string& id) = 0;
};

}  // namespace ticketing::payments

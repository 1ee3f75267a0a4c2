// SqlOrderReplicaRepository: OrderReplicaRepository in SQL (table `orders`, migrations/), one
// statement per call on the session of the unit of work that holds it. Portable between SQLite
// and PostgreSQL (common/db/database.hpp): the version rule checked by the affected-row count,
// ON CONFLICT DO NOTHING rather than a failed insert, the lock a no-op UPDATE.
// Thread-safety: an instance and its session belong to one unit of work.
#pragma once

#include "storage/order_replica_repository.hpp"

namespace soci {
class session;
}

namespace ticketing::payments {

class SqlOrderReplicaRepository final : public OrderReplicaRepository {
public:
    explicit SqlOrderReplicaRepository(soci::session& session) : session_(session) {}

    std::optional<OrderReplica> Find(const std::string& id) override;
    bool Insert(const OrderReplica& order) override;
    bool UpdateFromPrevious(const std::string& id,
                            OrderStatus status,
                            std::int64_t version) override;
    void Lock(const std::string& id) override;

private:
    soci::session& session_;
};

}  // namespace ticketing::payments

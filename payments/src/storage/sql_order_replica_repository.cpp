#include "storage/sql_order_replica_repository.hpp"

#include "common/db/sql.hpp"

namespace ticketing::payments {

std::optional<OrderReplica> SqlOrderReplicaRepository::Find(const std::string& id) {
    OrderReplica o;
    std::string status;
    long long price = 0, version = 0;
    session_ << "SELECT id, user_id, price, status, version FROM orders WHERE id = :id",
        soci::use(id), soci::into(o.id), soci::into(o.user_id), soci::into(price),
        soci::into(status), soci::into(version);
    if (!session_.got_data()) {
        return std::nullopt;
    }
    o.price = price;
    o.status = events::ParseOrderStatus(status).value_or(OrderStatus::kCreated);
    o.version = version;
    return o;
}

bool SqlOrderReplicaRepository::Insert(const OrderReplica& o) {
    const std::string status(events::ToString(o.status));
    const long long price = o.price, version = o.version;
    soci::statement st =
        (session_.prepare << "INSERT INTO orders (id, user_id, price, status, version) VALUES "
                             "(:id, :user_id, :price, :status, :version) ON CONFLICT DO NOTHING",
         soci::use(o.id),
         soci::use(o.user_id),
         soci::use(price),
         soci::use(status),
         soci::use(version));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

bool SqlOrderReplicaRepository::UpdateFromPrevious(const std::string& id,
                                                   OrderStatus status,
                                                   std::int64_t version) {
    const std::string text(events::ToString(status));
    const long long next = version, previous = version - 1;
    soci::statement st = (session_.prepare << "UPDATE orders SET status = :status, version = "
                                              ":next WHERE id = :id AND version = :previous",
                          soci::use(text),
                          soci::use(next),
                          soci::use(id),
                          soci::use(previous));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

void SqlOrderReplicaRepository::Lock(const std::string& id) {
    session_ << "UPDATE orders SET version = version WHERE id = :id", soci::use(id);
}

}  // namespace ticketing::payments

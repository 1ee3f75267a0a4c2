#include "storage/sql_order_repository.hpp"

#include "common/db/sql.hpp"

namespace ticketing::orders {
namespace {

constexpr const char* kOrderColumns =
    "SELECT o.id, o.user_id, o.status, o.expires_at, o.version, o.created_at, "
    "t.id, t.title, t.price, t.version FROM orders o JOIN tickets t ON t.id = o.ticket_id ";

struct OrderRow {
    std::string id, user_id, status, ticket_id, title;
    long long expires_at = 0, version = 0, created_at = 0, price = 0, ticket_version = 0;

    Order ToOrder() const {
        return Order{id,
                     user_id,
                     events::ParseOrderStatus(status).value_or(OrderStatus::kCreated),
                     util::FromEpochMs(expires_at),
                     version,
                     util::FromEpochMs(created_at),
                     Ticket{ticket_id, title, price, ticket_version}};
    }
};

// The one query shape both order reads use: `sql` selects kOrderColumns with one string parameter.
soci::statement PrepareOrderQuery(soci::session& s,
                                  const std::string& sql,
                                  const std::string& param,
                                  OrderRow& r) {
    return (s.prepare << sql,
            soci::use(param),
            soci::into(r.id),
            soci::into(r.user_id),
            soci::into(r.status),
            soci::into(r.expires_at),
            soci::into(r.version),
            soci::into(r.created_at),
            soci::into(r.ticket_id),
            soci::into(r.title),
            soci::into(r.price),
            soci::into(r.ticket_version));
}

}  // namespace

std::optional<Ticket> SqlTicketReplicaRepository::Find(const std::string& id) {
    Ticket t;
    long long price = 0, version = 0;
    session_ << "SELECT id, title, price, version FROM tickets WHERE id = :id", soci::use(id),
        soci::into(t.id), soci::into(t.title), soci::into(price), soci::into(version);
    if (!session_.got_data()) {
        return std::nullopt;
    }
    t.price = price;
    t.version = version;
    return t;
}

bool SqlTicketReplicaRepository::Insert(const Ticket& t) {
    const long long price = t.price, version = t.version;
    soci::statement st =
        (session_.prepare << "INSERT INTO tickets (id, title, price, version) "
                             "VALUES (:id, :title, :price, :version) ON CONFLICT DO NOTHING",
         soci::use(t.id),
         soci::use(t.title),
         soci::use(price),
         soci::use(version));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

bool SqlTicketReplicaRepository::UpdateFromPrevious(const Ticket& t) {
    const long long price = t.price, version = t.version, previous = t.version - 1;
    soci::statement st =
        (session_.prepare
             << "UPDATE tickets SET title = :title, price = :price, version = :version "
                "WHERE id = :id AND version = :previous",
         soci::use(t.title),
         soci::use(price),
         soci::use(version),
         soci::use(t.id),
         soci::use(previous));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

bool SqlOrderRepository::Insert(const Order& o) {
    const std::string status(events::ToString(o.status));
    const long long expires_at = util::ToEpochMs(o.expires_at), version = o.version,
                    created_at = util::ToEpochMs(o.created_at);
    // No conflict target: the partial unique index on active orders is the conflict that matters.
    soci::statement st =
        (session_.prepare
             << "INSERT INTO orders (id, user_id, ticket_id, status, expires_at, version, "
                "created_at) VALUES (:id, :user_id, :ticket_id, :status, :expires_at, "
                ":version, :created_at) ON CONFLICT DO NOTHING",
         soci::use(o.id),
         soci::use(o.user_id),
         soci::use(o.ticket.id),
         soci::use(status),
         soci::use(expires_at),
         soci::use(version),
         soci::use(created_at));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

std::optional<Order> SqlOrderRepository::Find(const std::string& id) {
    OrderRow r;
    soci::statement st =
        PrepareOrderQuery(session_, std::string(kOrderColumns) + "WHERE o.id = :id", id, r);
    st.execute();
    if (!st.fetch()) {
        return std::nullopt;
    }
    return r.ToOrder();
}

std::vector<Order> SqlOrderRepository::OfUser(const std::string& user_id) {
    OrderRow r;
    soci::statement st = PrepareOrderQuery(
        session_,
        std::string(kOrderColumns) + "WHERE o.user_id = :user_id ORDER BY o.created_at, o.id",
        user_id,
        r);
    st.execute();
    std::vector<Order> out;
    while (st.fetch()) {
        out.push_back(r.ToOrder());
    }
    return out;
}

bool SqlOrderRepository::UpdateStatus(const std::string& id,
                                      OrderStatus status,
                                      std::int64_t expected_version) {
    const std::string text(events::ToString(status));
    const long long expected = expected_version, next = expected_version + 1;
    soci::statement st = (session_.prepare << "UPDATE orders SET status = :status, version = :next "
                                              "WHERE id = :id AND version = :expected",
                          soci::use(text),
                          soci::use(next),
                          soci::use(id),
                          soci::use(expected));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

}  // namespace ticketing::orders

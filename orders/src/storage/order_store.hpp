// OrderStore: the orders service's SQL, one function per statement, always on a session the
// caller holds (so a handler or listener runs several of them in one transaction with the
// outbox and inbox rows). Portable between SQLite and PostgreSQL.
// Thread-safety: stateless; a session belongs to one thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/order.hpp"

namespace soci {
class session;
}

namespace ticketing::orders {

class OrderStore final {
public:
    // ---- ticket replica ----
    static std::optional<Ticket> FindTicket(soci::session& s, const std::string& id);
    // False when the ticket is already there.
    static bool InsertTicket(soci::session& s, const Ticket& t);
    // Applies version t.version only over t.version - 1; false when no row matched.
    static bool UpdateTicketFromPrevious(soci::session& s, const Ticket& t);

    // ---- orders ----
    // False when the ticket already has an active order (the partial unique index decides).
    static bool InsertOrder(soci::session& s, const Order& o);
    static std::optional<Order> FindOrder(soci::session& s, const std::string& id);
    static std::vector<Order> OrdersOfUser(soci::session& s, const std::string& user_id);
    // Sets the status and version + 1 when the order is still at `expected_version`; false
    // when another writer got there first.
    static bool UpdateStatus(soci::session& s,
                             const std::string& id,
                             OrderStatus status,
                             std::int64_t expected_version);
};

}  // namespace ticketing::orders

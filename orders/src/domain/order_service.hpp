// OrderService: the rules of reserving, listing, showing and cancelling orders (DESIGN.md
// section 4, orders table), each change written with its event through the outbox in one
// transaction. Knows SQL only through OrderStore; no HTTP or NATS types.
// Thread-safety: safe from any thread (its collaborators are).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

#include "domain/order.hpp"

namespace ticketing::db {
class Database;
}

namespace ticketing::orders {

inline constexpr std::string_view kTicketReserved = "Ticket is already reserved";
inline constexpr std::string_view kCannotCancelCompleted = "Cannot cancel a completed order";

class OrderService final {
public:
    // `events_written` is called after a transaction that added outbox rows has committed (the
    // relay's Wake); it may be empty.
    OrderService(db::Database& db,
                 const util::Clock& clock,
                 util::IdGenerator& ids,
                 std::chrono::seconds expiration_window,
                 std::function<void()> events_written);

    // 404 when the ticket is unknown here (or the id is malformed); 400 kTicketReserved when it
    // has an active order. expiresAt = now + the expiration window; publishes order:created.
    Order Create(const std::string& user_id,
                 const std::string& ticket_id,
                 const std::string& traceparent);
    // The user's orders, oldest first, each with its ticket.
    std::vector<Order> List(const std::string& user_id);
    // 404 unknown; 401 another user's order.
    Order Get(const std::string& user_id, const std::string& order_id);
    // 404; 401; 400 kCannotCancelCompleted; a cancelled order stays as it is (no event);
    // otherwise cancelled, version + 1, order:cancelled.
    void Cancel(const std::string& user_id,
                const std::string& order_id,
                const std::string& traceparent);

private:
    db::Database& db_;
    const util::Clock& clock_;
    util::IdGenerator& ids_;
    std::chrono::seconds window_;
    std::function<void()> events_written_;
};

}  // namespace ticketing::orders

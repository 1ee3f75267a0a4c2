// OrderService: the rules of reserving, listing, showing and cancelling orders (DESIGN.md
// section 4, orders table), each change written with its event through the outbox of one unit of
// work. Storage only through OrdersTransactions; refusals are domain errors; no SQL, HTTP or NATS
// types.
// Thread-safety: safe from any thread (its collaborators are).
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

#include "domain/order.hpp"
#include "storage/orders_unit_of_work.hpp"

namespace ticketing::orders {

inline constexpr std::string_view kTicketReserved = "Ticket is already reserved";
inline constexpr std::string_view kCannotCancelCompleted = "Cannot cancel a completed order";

class OrderService final {
public:
    OrderService(OrdersTransactions& transactions,
                 const util::Clock& clock,
                 util::IdGenerator& ids,
                 std::chrono::seconds expiration_window);

    // domain::NotFoundError when the ticket is unknown here (or the id is malformed);
    // RuleViolation kTicketReserved when it has an active order. expiresAt = now + the
    // expiration window; publishes order:created. Does not hold the caller's thread until the
    // commit (OrdersTransactions::RunAsync): done(order, nullptr) once it committed,
    // done(nullopt, error) with those errors otherwise. A malformed ticket id throws
    // NotFoundError before anything is queued; done may run before this returns or on another
    // thread.
    void CreateAsync(const std::string& user_id,
                     const std::string& ticket_id,
                     const std::string& traceparent,
                     std::function<void(const std::optional<Order>&, std::exception_ptr)> done);
    // The user's orders, oldest first, each with its ticket.
    std::vector<Order> List(const std::string& user_id);
    // NotFoundError unknown; NotOwnerError another user's order.
    Order Get(const std::string& user_id, const std::string& order_id);
    // NotFoundError; NotOwnerError; RuleViolation kCannotCancelCompleted; a cancelled order
    // stays as it is (no event); otherwise cancelled, version + 1, order:cancelled.
    // ConflictError when expiration or payment keep changing it meanwhile.
    void Cancel(const std::string& user_id,
                const std::string& order_id,
                const std::string& traceparent);

private:
    OrdersTransactions& transactions_;
    const util::Clock& clock_;
    util::IdGenerator& ids_;
    std::chrono::seconds window_;
};

}  // namespace ticketing::orders

#include "domain/order_service.hpp"

#include <memory>

#include "common/domain/errors.hpp"

namespace ticketing::orders {
namespace {

// Cancelling races expiration and payment; re-reading settles it in a few rounds at most.
constexpr int kMaxAttempts = 5;

}  // namespace

OrderService::OrderService(OrdersTransactions& transactions,
                           const util::Clock& clock,
                           util::IdGenerator& ids,
                           std::chrono::seconds expiration_window)
    : transactions_(transactions), clock_(clock), ids_(ids), window_(expiration_window) {}

void OrderService::CreateAsync(
    const std::string& user_id,
    const std::string& ticket_id,
    const std::string& traceparent,
    std::function<void(const std::optional<Order>&, std::exception_ptr)> done) {
    if (!util::IsValidId(ticket_id)) {
        throw domain::NotFoundError();
    }
    const auto now = clock_.Now();
    auto order = std::make_shared<std::optional<Order>>();
    transactions_.RunAsync(
        [this, order, user_id, ticket_id, traceparent, now](OrdersUnitOfWork& uow) {
            auto ticket = uow.tickets().Find(ticket_id);
            if (!ticket) {
                throw domain::NotFoundError();
            }
            Order o{ids_.NewId(), user_id, OrderStatus::kCreated, now + window_, 0, now, *ticket};
            if (!uow.orders().Insert(o)) {
                throw domain::RuleViolation(std::string(kTicketReserved));
            }
            uow.outbox().Add(events::OrderCreated{o.id,
                                                  o.version,
                                                  o.status,
                                                  o.user_id,
                                                  o.expires_at,
                                                  {o.ticket.id, o.ticket.price}},
                             {traceparent, now});
            order->emplace(std::move(o));
        },
        [order, done = std::move(done)](std::exception_ptr error) {
            if (error) {
                done(std::nullopt, std::move(error));
            } else {
                done(*order, nullptr);
            }
        });
}

std::vector<Order> OrderService::List(const std::string& user_id) {
    return transactions_.Read([&](OrdersUnitOfWork& uow) { return uow.orders().OfUser(user_id); });
}

Order OrderService::Get(const std::string& user_id, const std::string& order_id) {
    if (!util::IsValidId(order_id)) {
        throw domain::NotFoundError();
    }
    auto order =
        transactions_.Read([&](OrdersUnitOfWork& uow) { return uow.orders().Find(order_id); });
    if (!order) {
        throw domain::NotFoundError();
    }
    if (order->user_id != user_id) {
        throw domain::NotOwnerError();
    }
    return *order;
}

void OrderService::Cancel(const std::string& user_id,
                          const std::string& order_id,
                          const std::string& traceparent) {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        Order order = Get(user_id, order_id);
        if (order.status == OrderStatus::kComplete) {
            throw domain::RuleViolation(std::string(kCannotCancelCompleted));
        }
        if (order.status == OrderStatus::kCancelled) {
            return;  // already cancelled: nothing changes, nothing is published
        }
        bool done = transactions_.Run([&](OrdersUnitOfWork& uow) {
            if (!uow.orders().UpdateStatus(order.id, OrderStatus::kCancelled, order.version)) {
                return false;  // expiration or payment changed it meanwhile: look again
            }
            uow.outbox().Add(events::OrderCancelled{order.id, order.version + 1, {order.ticket.id}},
                             {traceparent, clock_.Now()});
            return true;
        });
        if (done) {
            return;
        }
    }
    throw domain::ConflictError();
}

}  // namespace ticketing::orders

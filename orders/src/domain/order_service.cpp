#include "domain/order_service.hpp"

#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"
#include "common/http/errors.hpp"

#include "storage/order_store.hpp"

namespace ticketing::orders {
namespace {

// Cancelling races expiration and payment; re-reading settles it in a few rounds at most.
constexpr int kMaxAttempts = 5;

}  // namespace

OrderService::OrderService(db::Database& db,
                           const util::Clock& clock,
                           util::IdGenerator& ids,
                           std::chrono::seconds expiration_window,
                           std::function<void()> events_written)
    : db_(db),
      clock_(clock),
      ids_(ids),
      window_(expiration_window),
      events_written_(std::move(events_written)) {}

Order OrderService::Create(const std::string& user_id,
                           const std::string& ticket_id,
                           const std::string& traceparent) {
    if (!util::IsValidId(ticket_id)) {
        throw http::NotFoundError();
    }
    const auto now = clock_.Now();
    Order order = db_.Transaction([&](soci::session& tx) {
        auto ticket = OrderStore::FindTicket(tx, ticket_id);
        if (!ticket) {
            throw http::NotFoundError();
        }
        Order o{ids_.NewId(), user_id, OrderStatus::kCreated, now + window_, 0, now, *ticket};
        if (!OrderStore::InsertOrder(tx, o)) {
            throw http::BadRequestError(std::string(kTicketReserved));
        }
        bus::Outbox::Add(
            tx,
            events::OrderCreated{
                o.id, o.version, o.status, o.user_id, o.expires_at, {o.ticket.id, o.ticket.price}},
            {traceparent, now});
        return o;
    });
    if (events_written_) {
        events_written_();
    }
    return order;
}

std::vector<Order> OrderService::List(const std::string& user_id) {
    return db_.WithSession([&](soci::session& s) { return OrderStore::OrdersOfUser(s, user_id); });
}

Order OrderService::Get(const std::string& user_id, const std::string& order_id) {
    if (!util::IsValidId(order_id)) {
        throw http::NotFoundError();
    }
    auto order =
        db_.WithSession([&](soci::session& s) { return OrderStore::FindOrder(s, order_id); });
    if (!order) {
        throw http::NotFoundError();
    }
    if (order->user_id != user_id) {
        throw http::NotAuthorizedError();
    }
    return *order;
}

void OrderService::Cancel(const std::string& user_id,
                          const std::string& order_id,
                          const std::string& traceparent) {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        Order order = Get(user_id, order_id);
        if (order.status == OrderStatus::kComplete) {
            throw http::BadRequestError(std::string(kCannotCancelCompleted));
        }
        if (order.status == OrderStatus::kCancelled) {
            return;  // already cancelled: nothing changes, nothing is published
        }
        bool done = db_.Transaction([&](soci::session& tx) {
            if (!OrderStore::UpdateStatus(tx, order.id, OrderStatus::kCancelled, order.version)) {
                return false;  // expiration or payment changed it meanwhile: look again
            }
            bus::Outbox::Add(tx,
                             events::OrderCancelled{order.id, order.version + 1, {order.ticket.id}},
                             {traceparent, clock_.Now()});
            return true;
        });
        if (done) {
            if (events_written_) {
                events_written_();
            }
            return;
        }
    }
    throw http::ConflictError();
}

}  // namespace ticketing::orders

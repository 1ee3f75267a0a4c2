#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/order_store.hpp"

namespace ticketing::orders {

bus::AckDecision PaymentCreatedListener::Handle(const events::PaymentCreated& e,
                                                const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_, meta, [&](soci::session& tx) {
        auto order = OrderStore::FindOrder(tx, e.order_id);
        if (!order) {
            return bus::AckDecision::kDeadLetter;  // not an order of ours
        }
        if (!IsPending(order->status)) {
            // Complete: a duplicate. Cancelled: the buyer does not get the ticket; payments
            // refunds on its own when it sees order:cancelled.
            return bus::AckDecision::kAck;
        }
        if (!OrderStore::UpdateStatus(tx, order->id, OrderStatus::kComplete, order->version)) {
            return bus::AckDecision::kRetry;
        }
        bus::Outbox::Add(tx,
                         events::OrderCompleted{order->id, order->version + 1, {order->ticket.id}},
                         {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::orders

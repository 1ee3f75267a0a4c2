#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/order_store.hpp"

namespace ticketing::orders {

bus::AckDecision ExpirationCompleteListener::Handle(const events::ExpirationComplete& e,
                                                    const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_, meta, [&](soci::session& tx) {
        auto order = OrderStore::FindOrder(tx, e.order_id);
        if (!order) {
            return bus::AckDecision::kDeadLetter;  // not an order of ours
        }
        if (!IsPending(order->status)) {
            return bus::AckDecision::kAck;  // paid or cancelled already: nothing to expire
        }
        if (!OrderStore::UpdateStatus(tx, order->id, OrderStatus::kCancelled, order->version)) {
            return bus::AckDecision::kRetry;  // raced with the buyer or a payment: look again
        }
        bus::Outbox::Add(tx,
                         events::OrderCancelled{order->id, order->version + 1, {order->ticket.id}},
                         {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::orders

#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision ExpirationCompleteListener::Handle(const events::ExpirationComplete& e,
                                                    const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) {
        auto order = uow.orders().Find(e.order_id);
        if (!order) {
            return bus::AckDecision::kDeadLetter;  // not an order of ours
        }
        if (!IsPending(order->status)) {
            return bus::AckDecision::kAck;  // paid or cancelled already: nothing to expire
        }
        if (!uow.orders().UpdateStatus(order->id, OrderStatus::kCancelled, order->version)) {
            return bus::AckDecision::kRetry;  // raced with the buyer or a payment: look again
        }
        uow.outbox().Add(events::OrderCancelled{order->id, order->version + 1, {order->ticket.id}},
                         {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::orders

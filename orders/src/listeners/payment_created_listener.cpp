#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision PaymentCreatedListener::Handle(const events::PaymentCreated& e,
                                                const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) {
        auto order = uow.orders().Find(e.order_id);
        if (!order) {
            return bus::AckDecision::kDeadLetter;  // not an order of ours
        }
        if (!IsPending(order->status)) {
            // Complete: a duplicate. Cancelled: the buyer does not get the ticket; payments
            // refunds on its own when it sees order:cancelled.
            return bus::AckDecision::kAck;
        }
        if (!uow.orders().UpdateStatus(order->id, OrderStatus::kComplete, order->version)) {
            return bus::AckDecision::kRetry;
        }
        uow.outbox().Add(events::OrderCompleted{order->id, order->version + 1, {order->ticket.id}},
                         {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::orders

#include "listeners/listeners.hpp"

#include "common/bus/subscriber.hpp"

#include "domain/payment_service.hpp"

namespace ticketing::payments {

bus::AckDecision ApplyOrderStatus(PaymentsTransactions& transactions,
                                  const bus::MessageMeta& meta,
                                  const std::string& order_id,
                                  events::OrderStatus status,
                                  std::int64_t version) {
    return transactions.HandleOnce(meta, [&](PaymentsUnitOfWork& uow) {
        if (uow.orders().UpdateFromPrevious(order_id, status, version)) {
            return bus::AckDecision::kAck;
        }
        auto held = uow.orders().Find(order_id);
        if (held && held->version >= version) {
            return bus::AckDecision::kAck;  // this version or a newer one is applied already
        }
        // A gap (or order:created not seen yet): wait for the missing version.
        return bus::AckDecision::kRetry;
    });
}

bus::AckDecision SettleAfter(bus::AckDecision decision,
                             PaymentService& payments,
                             const std::string& order_id) {
    if (decision != bus::AckDecision::kAck) {
        return decision;
    }
    // The replica holds the order's outcome now, so its authorised payment is due: captured if
    // it completed, released if it was cancelled. Checked after the commit and on every delivery
    // (a duplicate too), outside any transaction: the gateway call must not hold the database.
    // A gateway that is unavailable throws GatewayError kUnavailable out of the handler: a
    // dependency down, not a poison event, so the listener retries it with a capped backoff for
    // as long as the outage lasts and never dead-letters it. A refusal for good is recorded on
    // the payment (failed) by SettleOrder, and the event is done.
    payments.SettleOrder(order_id);
    return bus::AckDecision::kAck;
}

Listeners::Listeners(const ListenerContext& ctx)
    : order_created(ctx), order_cancelled(ctx), order_completed(ctx) {}

void Listeners::SubscribeAll(bus::EventSubscriber& subscriber) {
    subscriber.SubscribeBatch<events::OrderCreated>(
        [this](auto events, auto metas) { return order_created.HandleBatch(events, metas); },
        kMaxBatch);
    subscriber.Subscribe<events::OrderCancelled>(
        [this](const auto& e, const auto& m) { return order_cancelled.Handle(e, m); });
    subscriber.Subscribe<events::OrderCompleted>(
        [this](const auto& e, const auto& m) { return order_completed.Handle(e, m); });
}

}  // namespace ticketing::payments

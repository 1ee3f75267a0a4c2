#include "listeners/listeners.hpp"

#include "common/bus/subscriber.hpp"

namespace ticketing::tickets {

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

}  // namespace ticketing::tickets

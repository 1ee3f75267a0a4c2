#include "listeners/listeners.hpp"

#include "common/bus/subscriber.hpp"

namespace ticketing::expiration {

Listeners::Listeners(JobQueue& scheduling,
                     JobQueue& removal,
                     ScheduleNotifier& notifier,
                     ExpirationMetrics& metrics)
    : order_created(scheduling, notifier, metrics),
      order_cancelled(removal, metrics),
      order_completed(removal, metrics) {}

void Listeners::SubscribeAll(bus::EventSubscriber& subscriber) {
    subscriber.SubscribeBatch<events::OrderCreated>(
        [this](auto events, auto metas) { return order_created.HandleBatch(events, metas); },
        OrderCreatedListener::kMaxBatch);
    subscriber.Subscribe<events::OrderCancelled>(
        [this](const auto& e, const auto& m) { return order_cancelled.Handle(e, m); });
    subscriber.Subscribe<events::OrderCompleted>(
        [this](const auto& e, const auto& m) { return order_completed.Handle(e, m); });
}

}  // namespace ticketing::expiration

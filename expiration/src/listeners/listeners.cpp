#include "listeners/listeners.hpp"

#include "common/bus/subscriber.hpp"

namespace ticketing::expiration {

Listeners::Listeners(JobQueue& queue, ScheduleNotifier& notifier, ExpirationMetrics& metrics)
    : order_created(queue, notifier, metrics),
      order_cancelled(queue, metrics),
      order_completed(queue, metrics) {}

void Listeners::SubscribeAll(bus::EventSubscriber& subscriber) {
    subscriber.Subscribe<events::OrderCreated>(
        [this](const auto& e, const auto& m) { return order_created.Handle(e, m); });
    subscriber.Subscribe<events::OrderCancelled>(
        [this](const auto& e, const auto& m) { return order_cancelled.Handle(e, m); });
    subscriber.Subscribe<events::OrderCompleted>(
        [this](const auto& e, const auto& m) { return order_completed.Handle(e, m); });
}

}  // namespace ticketing::expiration

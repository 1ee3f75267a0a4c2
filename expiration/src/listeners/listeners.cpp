#include "listeners/listeners.hpp"

#include "listeners/order_cancelled_listener.hpp"
#include "listeners/order_completed_listener.hpp"
#include "listeners/order_created_listener.hpp"

namespace ticketing::expiration {

void SubscribeListeners(bus::EventSubscriber& subscriber,
                        JobQueue& queue,
                        ScheduleNotifier& notifier,
                        ExpirationMetrics& metrics) {
    subscriber.Subscribe<events::OrderCreated>(
        [listener = OrderCreatedListener(queue, notifier, metrics)](const events::OrderCreated& e,
                                                                    const bus::MessageMeta& m) {
            return listener.Handle(e, m);
        });
    subscriber.Subscribe<events::OrderCancelled>(
        [listener = OrderCancelledListener(queue, metrics)](const events::OrderCancelled& e,
                                                            const bus::MessageMeta& m) {
            return listener.Handle(e, m);
        });
    subscriber.Subscribe<events::OrderCompleted>(
        [listener = OrderCompletedListener(queue, metrics)](const events::OrderCompleted& e,
                                                            const bus::MessageMeta& m) {
            return listener.Handle(e, m);
        });
}

}  // namespace ticketing::expiration

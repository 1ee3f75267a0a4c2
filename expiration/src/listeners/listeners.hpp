// Registers the expiration service's listeners (queue group expiration-service, DESIGN.md
// section 1): order:created schedules, order:cancelled and order:completed remove. Used by main
// and by the integration tests, so both wire the same thing.
// Thread-safety: call once during startup; the references must outlive the subscriber.
#pragma once

#include <string_view>

#include "common/bus/subscriber.hpp"

#include "domain/schedule_notifier.hpp"
#include "storage/job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {

inline constexpr std::string_view kQueueGroup = "expiration-service";

void SubscribeListeners(bus::EventSubscriber& subscriber,
                        JobQueue& queue,
                        ScheduleNotifier& notifier,
                        ExpirationMetrics& metrics);

}  // namespace ticketing::expiration

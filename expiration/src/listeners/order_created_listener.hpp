// order:created → schedule the order's expiration at its expiresAt (DESIGN.md section 5, "Who
// reacts to what"). Idempotent: the order id is the job id, so a redelivered event adds nothing.
// A queue failure throws QueueError, which the subscriber turns into a retry.
// Thread-safety: const and stateless beyond its references; safe from any thread.
#pragma once

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

#include "domain/schedule_notifier.hpp"
#include "storage/job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {

class OrderCreatedListener final {
public:
    OrderCreatedListener(JobQueue& queue, ScheduleNotifier& notifier, ExpirationMetrics& metrics)
        : queue_(queue), notifier_(notifier), metrics_(metrics) {}

    bus::AckDecision Handle(const events::OrderCreated& event, const bus::MessageMeta& meta) const;

private:
    JobQueue& queue_;
    ScheduleNotifier& notifier_;
    ExpirationMetrics& metrics_;
};

}  // namespace ticketing::expiration

// order:cancelled → remove the order's expiration job (DESIGN.md section 5, "Who reacts to
// what"). Idempotent: removing a job that is gone (or never came) is fine, and the id stays
// finished for a while so that a late order:created does not bring the job back.
// A queue failure throws QueueError, which the subscriber turns into a retry.
// Thread-safety: const and stateless beyond its references; safe from any thread.
#pragma once

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

#include "storage/job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {

class OrderCancelledListener final {
public:
    OrderCancelledListener(JobQueue& queue, ExpirationMetrics& metrics)
        : queue_(queue), metrics_(metrics) {}

    bus::AckDecision Handle(const events::OrderCancelled& event,
                            const bus::MessageMeta& meta) const;

private:
    JobQueue& queue_;
    ExpirationMetrics& metrics_;
};

}  // namespace ticketing::expiration

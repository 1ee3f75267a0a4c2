#include "listeners/listeners.hpp"

#include "common/log/log.hpp"

#include "domain/expiration_job.hpp"

namespace ticketing::expiration {

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& event,
                                              const bus::MessageMeta& meta) const {
    auto job = JobForOrderCreated(event, meta.traceparent);
    if (!job) {
        return bus::AckDecision::kAck;
    }
    auto result = queue_.Schedule(job->order_id, job->due, EncodePayload(*job));
    if (result.outcome == ScheduleResult::Outcome::kAdded) {
        metrics_.scheduled.Inc();
        notifier_.JobScheduled(result.due_in);
        log::Debug("expiration scheduled",
                   {{"order_id", job->order_id}, {"due_in_ms", result.due_in.count()}});
    }
    return bus::AckDecision::kAck;
}

}  // namespace ticketing::expiration

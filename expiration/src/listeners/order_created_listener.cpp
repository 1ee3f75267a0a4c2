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
    Scheduled(queue_.Schedule(job->order_id, job->due, EncodePayload(*job)), job->order_id);
    return bus::AckDecision::kAck;
}

std::vector<bus::AckDecision> OrderCreatedListener::HandleBatch(
    std::span<const events::OrderCreated> events, std::span<const bus::MessageMeta> metas) const {
    std::vector<NewJob> jobs;
    jobs.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (auto job = JobForOrderCreated(events[i], metas[i].traceparent)) {
            jobs.push_back({job->order_id, job->due, EncodePayload(*job)});
        }
    }
    auto results = queue_.ScheduleAll(jobs);
    for (std::size_t i = 0; i < jobs.size() && i < results.size(); ++i) {
        Scheduled(results[i], jobs[i].id);
    }
    return std::vector<bus::AckDecision>(events.size(), bus::AckDecision::kAck);
}

void OrderCreatedListener::Scheduled(const ScheduleResult& result,
                                     const std::string& order_id) const {
    if (result.outcome == ScheduleResult::Outcome::kAdded) {
        metrics_.scheduled.Inc();
        notifier_.JobScheduled(result.due_in);
        log::Debug("expiration scheduled",
                   {{"order_id", order_id}, {"due_in_ms", result.due_in.count()}});
    }
}

}  // namespace ticketing::expiration

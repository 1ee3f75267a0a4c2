#include "replay/pending_jobs.hpp"

#include "common/events/events.hpp"

namespace ticketing::expiration {

bool PendingJobs::Apply(const bus::StoredEvent& e) {
    try {
        if (e.subject == events::kOrderCreated.name) {
            auto order = events::Decode<events::OrderCreated>(e.payload);
            if (auto job = JobForOrderCreated(order, e.traceparent)) {
                jobs_.insert_or_assign(job->order_id, *job);
            }
            return true;
        }
        if (e.subject == events::kOrderCancelled.name) {
            jobs_.erase(events::Decode<events::OrderCancelled>(e.payload).id);
            return true;
        }
        if (e.subject == events::kOrderCompleted.name) {
            jobs_.erase(events::Decode<events::OrderCompleted>(e.payload).id);
            return true;
        }
        if (e.subject == events::kExpirationComplete.name) {
            jobs_.erase(events::Decode<events::ExpirationComplete>(e.payload).order_id);
            return true;
        }
    } catch (const events::DecodeError&) {
        return false;  // the live consumers dead-lettered it
    }
    return false;
}

std::vector<ExpirationJob> PendingJobs::Jobs() const {
    std::vector<ExpirationJob> out;
    out.reserve(jobs_.size());
    for (const auto& [id, job] : jobs_) {
        out.push_back(job);
    }
    return out;
}

}  // namespace ticketing::expiration

#include "common/testing/expiration/in_memory_job_queue.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

namespace ticketing::test {

using expiration::ClaimResult;
using expiration::JobState;
using expiration::QueueError;
using expiration::ScheduleResult;

void InMemoryJobQueue::FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ += n;
}

void InMemoryJobQueue::MaybeFail() {
    if (fail_next_ > 0) {
        --fail_next_;
        throw QueueError("injected queue failure");
    }
}

ScheduleResult InMemoryJobQueue::Schedule(const std::string& id,
                                          util::TimePoint due,
                                          const std::string& payload) {
    std::lock_guard lock(mu_);
    MaybeFail();
    auto now = Now();
    auto due_in = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
    if (auto it = finished_.find(id); it != finished_.end()) {
        if (it->second > now) {
            return {ScheduleResult::Outcome::kAlreadyFinished, due_in};
        }
        finished_.erase(it);
    }
    if (jobs_.contains(id)) {
        return {ScheduleResult::Outcome::kAlreadyScheduled, due_in};
    }
    Entry entry;
    entry.state = JobState{false, due, due, 0, payload};
    jobs_.emplace(id, std::move(entry));
    return {ScheduleResult::Outcome::kAdded, due_in};
}

void InMemoryJobQueue::Finish(const std::string& id) {
    jobs_.erase(id);
    finished_[id] = Now() + finished_ttl_;
}

bool InMemoryJobQueue::Cancel(const std::string& id) {
    std::lock_guard lock(mu_);
    MaybeFail();
    bool existed = jobs_.contains(id);
    Finish(id);
    return existed;
}

ClaimResult InMemoryJobQueue::Claim(std::size_t max_jobs, std::chrono::milliseconds lease) {
    std::lock_guard lock(mu_);
    MaybeFail();
    auto now = Now();
    std::erase_if(finished_, [&](const auto& f) { return f.second <= now; });
    // Earliest first, ties by id: the order of a Redis sorted set.
    std::vector<std::pair<util::TimePoint, std::string>> due;
    for (const auto& [id, entry] : jobs_) {
        if (!entry.state.active && entry.state.run_at <= now) {
            due.emplace_back(entry.state.run_at, id);
        }
    }
    std::sort(due.begin(), due.end());
    if (due.size() > max_jobs) {
        due.resize(max_jobs);
    }
    ClaimResult result;
    result.now = now;
    for (const auto& [run_at, id] : due) {
        auto& entry = jobs_.at(id);
        entry.state.active = true;
        entry.state.run_at = now + lease;
        entry.state.attempts += 1;
        entry.token = ++next_token_;
        result.jobs.push_back(expiration::ClaimedJob{
            id, entry.state.payload, entry.state.due, entry.state.attempts, entry.token});
    }
    for (const auto& [id, entry] : jobs_) {
        auto& next = entry.state.active ? result.next_lease_end : result.next_due;
        (entry.state.active ? result.active : result.pending) += 1;
        if (!next || entry.state.run_at < *next) {
            next = entry.state.run_at;
        }
    }
    return result;
}

bool InMemoryJobQueue::IsCurrent(const expiration::Lease& lease) const {
    auto it = jobs_.find(lease.job_id);
    return it != jobs_.end() && it->second.state.active && it->second.token == lease.token;
}

bool InMemoryJobQueue::Complete(const expiration::Lease& lease) {
    std::lock_guard lock(mu_);
    MaybeFail();
    if (!IsCurrent(lease)) {
        return false;
    }
    Finish(lease.job_id);
    return true;
}

std::vector<bool> InMemoryJobQueue::CompleteAll(std::span<const expiration::Lease> leases) {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<bool> done;
    for (const auto& lease : leases) {
        done.push_back(IsCurrent(lease));
        if (done.back()) {
            Finish(lease.job_id);
        }
    }
    return done;
}

bool InMemoryJobQueue::Fail(const expiration::Lease& lease, std::chrono::milliseconds retry_in) {
    std::lock_guard lock(mu_);
    MaybeFail();
    if (!IsCurrent(lease)) {
        return false;
    }
    auto& entry = jobs_.at(lease.job_id);
    entry.state.active = false;
    entry.state.run_at = Now() + retry_in;
    entry.token = 0;
    return true;
}

std::size_t InMemoryJobQueue::RequeueStalled(std::size_t max_jobs) {
    std::lock_guard lock(mu_);
    MaybeFail();
    auto now = Now();
    std::vector<std::pair<util::TimePoint, std::string>> stalled;
    for (const auto& [id, entry] : jobs_) {
        if (entry.state.active && entry.state.run_at <= now) {
            stalled.emplace_back(entry.state.run_at, id);
        }
    }
    std::sort(stalled.begin(), stalled.end());
    if (stalled.size() > max_jobs) {
        stalled.resize(max_jobs);
    }
    for (const auto& [lease_end, id] : stalled) {
        auto& entry = jobs_.at(id);
        entry.state.active = false;
        entry.state.run_at = now;
        entry.token = 0;
    }
    return stalled.size();
}

expiration::QueueStats InMemoryJobQueue::Stats() {
    std::lock_guard lock(mu_);
    MaybeFail();
    expiration::QueueStats stats;
    for (const auto& [id, entry] : jobs_) {
        (entry.state.active ? stats.active : stats.pending) += 1;
    }
    return stats;
}

std::optional<JobState> InMemoryJobQueue::Find(const std::string& id) {
    std::lock_guard lock(mu_);
    MaybeFail();
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
        return std::nullopt;
    }
    return it->second.state;
}

bool InMemoryJobQueue::Ping() {
    std::lock_guard lock(mu_);
    if (fail_next_ > 0) {
        --fail_next_;
        return false;
    }
    return true;
}

}  // namespace ticketing::test

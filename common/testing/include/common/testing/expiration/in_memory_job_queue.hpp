// InMemoryJobQueue: a JobQueue in memory for unit tests, with the semantics of RedisJobQueue
// (tombstones for finished ids, lease tokens, stalled leases) on a test::FakeClock or any Clock
// standing in for Redis's TIME. FailNext(n) makes the next n operations throw QueueError, as a
// Redis that is down would.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/util/clock.hpp"

#include "storage/job_queue.hpp"

namespace ticketing::test {

class InMemoryJobQueue final : public expiration::JobQueue {
public:
    explicit InMemoryJobQueue(const util::Clock& clock,
                              std::chrono::milliseconds finished_ttl = std::chrono::hours(24))
        : clock_(clock), finished_ttl_(finished_ttl) {}

    expiration::ScheduleResult Schedule(const std::string& id,
                                        util::TimePoint due,
                                        const std::string& payload) override;
    bool Cancel(const std::string& id) override;
    expiration::ClaimResult Claim(std::size_t max_jobs, std::chrono::milliseconds lease) override;
    bool Complete(const expiration::Lease& lease) override;
    std::vector<bool> CompleteAll(std::span<const expiration::Lease> leases) override;
    bool Fail(const expiration::Lease& lease, std::chrono::milliseconds retry_in) override;
    std::size_t RequeueStalled(std::size_t max_jobs) override;
    expiration::QueueStats Stats() override;
    std::optional<expiration::JobState> Find(const std::string& id) override;
    bool Ping() override;

    // The next n operations throw QueueError (Ping returns false) and change nothing.
    void FailNext(int n = 1);

private:
    struct Entry {
        expiration::JobState state;
        std::int64_t token = 0;  // 0: not leased
    };

    // Consumes one injected failure, if any. Call with mu_ held.
    void MaybeFail();
    util::TimePoint Now() const { return clock_.Now(); }
    // Removes the job and marks its id finished. Call with mu_ held.
    void Finish(const std::string& id);
    bool IsCurrent(const expiration::Lease& lease) const;

    const util::Clock& clock_;
    std::chrono::milliseconds finished_ttl_;
    mutable std::mutex mu_;
    std::map<std::string, Entry> jobs_;
    std::map<std::string, util::TimePoint> finished_;  // id -> end of its tombstone
    std::int64_t next_token_ = 0;
    int fail_next_ = 0;
};

}  // namespace ticketing::test

// JobQueue: the port of the expiration service's delayed-job queue (DESIGN.md section 6). A job
// is an id (the order id), an opaque payload and a due time. Workers claim due jobs under a
// lease, then complete them or fail them (the job comes back after a delay); a job whose lease
// passes without either is "stalled" and goes back to due. Every operation is atomic, and "now"
// is the queue's own clock (Redis TIME for RedisJobQueue), never the caller's.
// Once completed or cancelled, a job id is "finished" for a while (a tombstone): scheduling it
// again is ignored, so a redelivered order:created, or one that arrives after its
// order:cancelled, does not bring the job back.
// Implementations: RedisJobQueue; ticketing::test::InMemoryJobQueue for unit tests.
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/util/clock.hpp"

namespace ticketing::expiration {

// The queue cannot be reached or refused an operation. Callers retry later.
class QueueError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ScheduleResult {
    enum class Outcome {
        kAdded,             // new job
        kAlreadyScheduled,  // the id is waiting or running: nothing changed
        kAlreadyFinished,   // the id was completed or cancelled recently: nothing changed
    };
    Outcome outcome = Outcome::kAdded;
    // The requested due time minus the queue's now (negative when overdue). Lets the caller
    // wake a poller without comparing clocks.
    std::chrono::milliseconds due_in{0};
};

// A job to schedule (ScheduleAll).
struct NewJob {
    std::string id;
    util::TimePoint due;
    std::string payload;
};

// The right to finish one run of a job. A lease whose token is no longer the job's current one
// (the job was requeued, re-claimed or cancelled meanwhile) finishes nothing.
struct Lease {
    std::string job_id;
    std::int64_t token = 0;
};

struct ClaimedJob {
    std::string id;
    std::string payload;
    util::TimePoint due;       // as scheduled (retries keep it, so lateness counts from here)
    std::int64_t attempt = 1;  // 1 on the first run
    std::int64_t token = 0;

    Lease lease() const { return Lease{id, token}; }
};

struct ClaimResult {
    util::TimePoint now;  // the queue's clock when it claimed
    std::vector<ClaimedJob> jobs;
    std::int64_t pending = 0;                       // jobs waiting (not running) after the claim
    std::int64_t active = 0;                        // jobs running (leased) after the claim
    std::optional<util::TimePoint> next_due;        // earliest waiting job
    std::optional<util::TimePoint> next_lease_end;  // earliest lease to pass
};

struct QueueStats {
    std::int64_t pending = 0;
    std::int64_t active = 0;
};

// What the queue holds for one id (tests, and the status and replay commands).
struct JobState {
    bool active = false;        // leased to a worker
    util::TimePoint run_at;     // next run (waiting) or lease end (active)
    util::TimePoint due;        // as scheduled
    std::int64_t attempts = 0;  // runs claimed so far
    std::string payload;
};

class JobQueue {
public:
    virtual ~JobQueue() = default;

    // Adds the job unless its id is waiting, running or finished (see above). Throws QueueError.
    virtual ScheduleResult Schedule(const std::string& id,
                                    util::TimePoint due,
                                    const std::string& payload) = 0;
    // Schedule for each job, in order, one result each. Not atomic as a whole: each job is
    // added or not on its own, so after a QueueError some may be in (scheduling them again is
    // harmless). The default calls Schedule per job; RedisJobQueue pipelines them (one round
    // trip for the batch a backlog drains in).
    virtual std::vector<ScheduleResult> ScheduleAll(std::span<const NewJob> jobs) {
        std::vector<ScheduleResult> results;
        results.reserve(jobs.size());
        for (const auto& job : jobs) {
            results.push_back(Schedule(job.id, job.due, job.payload));
        }
        return results;
    }
    // Removes the job wherever it is (a running job's lease stops counting) and marks the id
    // finished. True when there was a job; a missing one is fine. Throws QueueError.
    virtual bool Cancel(const std::string& id) = 0;

    // Moves up to max_jobs due jobs (earliest first) into the running set under a lease of
    // `lease`, and reports the queue's shape. Throws QueueError.
    virtual ClaimResult Claim(std::size_t max_jobs, std::chrono::milliseconds lease) = 0;
    // Removes the job of a current lease and marks its id finished. False when the lease is no
    // longer current. Throws QueueError.
    virtual bool Complete(const Lease& lease) = 0;
    // Complete for each lease, in one atomic step where the implementation can; one flag per
    // lease. Throws QueueError (then none of them is completed).
    virtual std::vector<bool> CompleteAll(std::span<const Lease> leases) = 0;
    // Puts the job of a current lease back to wait `retry_in`. False when the lease is no longer
    // current. Throws QueueError.
    virtual bool Fail(const Lease& lease, std::chrono::milliseconds retry_in) = 0;
    // Puts up to max_jobs running jobs whose lease has passed back to due now; returns how many.
    // Throws QueueError.
    virtual std::size_t RequeueStalled(std::size_t max_jobs) = 0;

    virtual QueueStats Stats() = 0;
    virtual std::optional<JobState> Find(const std::string& id) = 0;
    // True when the queue answers; never throws.
    virtual bool Ping() = 0;
};

}  // namespace ticketing::expiration

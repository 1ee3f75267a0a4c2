// ExpirationWorker: the poller of the expiration service (DESIGN.md section 6). Each pass claims
// the due jobs under a lease, publishes one expiration:complete per job (Nats-Msg-Id
// "expiration-<orderId>") and completes the jobs JetStream acknowledged; a job whose publish was
// not acknowledged fails and comes back after an exponential backoff. A worker that dies between
// publish and complete leaves the job leased: once the lease passes any worker puts it back and
// runs it again, and the stream's duplicate window drops the second publish.
// Between passes the thread sleeps until the earliest due job or lease end (at most max_sleep)
// and wakes early when a listener schedules a job due before that (JobScheduled).
// Thread-safety: RunOnce is for tests and the worker's own thread (one pass at a time per
// worker; several workers, in one process or many, may share a queue). JobScheduled is safe
// from any thread. Start and Stop from the owning thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "common/bus/publisher.hpp"
#include "common/util/clock.hpp"

#include "domain/expiration_job.hpp"
#include "domain/schedule_notifier.hpp"
#include "storage/job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {

struct WorkerOptions {
    // Large: after a Redis outage the whole held backlog is due at once, and each pass costs a
    // claim, a publish round trip and a completion whatever its size (Outage.redis).
    std::size_t batch_size = 1024;
    // Longer than a pass can take (a publish gives up after 5 s), so a live worker never loses
    // its lease and no job runs on two workers at once.
    std::chrono::milliseconds lease{std::chrono::seconds(30)};
    std::chrono::milliseconds max_sleep{std::chrono::milliseconds(100)};
    RetryPolicy retry;
    // Pause after a failed pass (Redis unreachable), doubling up to the max.
    std::chrono::milliseconds error_backoff_min{std::chrono::milliseconds(100)};
    // Short: a refused connection costs nothing, and every pass this waits after Redis is back
    // delays every held expiration by as much.
    std::chrono::milliseconds error_backoff_max{std::chrono::milliseconds(500)};
    // A listener's wake (a job scheduled already due) starts a pass no sooner than this after
    // the last one began: a burst of order events (a backlog drained after an outage) is fired
    // in batches rather than one pass, one claim and one publish round trip per job.
    std::chrono::milliseconds min_pass_interval{std::chrono::milliseconds(10)};
};

struct PassResult {
    std::size_t fired = 0;     // published (acknowledged by JetStream)
    std::size_t failed = 0;    // not acknowledged: back in the queue with a backoff
    std::size_t requeued = 0;  // stalled jobs (lease passed) put back
    // When the next pass should start, counted from this pass's claim.
    std::chrono::milliseconds next_pass_in{0};
};

class ExpirationWorker final : public ScheduleNotifier {
public:
    ExpirationWorker(JobQueue& queue,
                     bus::EventPublisher& publisher,
                     const util::Clock& clock,
                     ExpirationMetrics& metrics,
                     WorkerOptions options = {});
    ~ExpirationWorker() override;  // Stop()
    ExpirationWorker(const ExpirationWorker&) = delete;
    ExpirationWorker& operator=(const ExpirationWorker&) = delete;

    // One pass. Throws QueueError when the queue cannot be reached.
    PassResult RunOnce();

    // Runs passes on a thread until Stop. A pass that throws is logged and retried with backoff.
    void Start();
    // Finishes the pass in progress, then joins the thread. Idempotent.
    void Stop();

    void JobScheduled(std::chrono::milliseconds due_in) override;

private:
    using SteadyClock = std::chrono::steady_clock;

    void Run();
    // Publishes the claimed jobs and completes or fails each.
    void Process(const ClaimResult& claim, SteadyClock::time_point claimed_at, PassResult& result);

    JobQueue& queue_;
    bus::EventPublisher& publisher_;
    const util::Clock& clock_;
    ExpirationMetrics& metrics_;
    WorkerOptions options_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    // Earliest due time (steady) of jobs scheduled since the current pass started.
    SteadyClock::time_point earliest_scheduled_ = SteadyClock::time_point::max();
    std::thread thread_;
};

}  // namespace ticketing::expiration

#include "worker/expiration_worker.hpp"

#include <algorithm>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/log/log.hpp"

namespace ticketing::expiration {
namespace {

double Seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
}

std::int64_t Millis(std::chrono::nanoseconds d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

ExpirationWorker::ExpirationWorker(JobQueue& queue,
                                   bus::EventPublisher& publisher,
                                   const util::Clock& clock,
                                   ExpirationMetrics& metrics,
                                   WorkerOptions options)
    : queue_(queue), publisher_(publisher), clock_(clock), metrics_(metrics), options_(options) {}

ExpirationWorker::~ExpirationWorker() {
    Stop();
}

PassResult ExpirationWorker::RunOnce() {
    PassResult result;
    ClaimResult claim = queue_.Claim(options_.batch_size, options_.lease);
    auto claimed_at = SteadyClock::now();
    metrics_.queue_depth.Set(static_cast<double>(claim.pending));
    metrics_.active_jobs.Set(static_cast<double>(claim.active));

    if (claim.next_lease_end && *claim.next_lease_end <= claim.now) {
        result.requeued = queue_.RequeueStalled(options_.batch_size);
        if (result.requeued > 0) {
            metrics_.retries_lease_expired.Inc(static_cast<double>(result.requeued));
            log::Warn("expiration jobs whose worker stopped are run again",
                      {{"jobs", result.requeued}});
        }
    }
    if (!claim.jobs.empty()) {
        Process(claim, claimed_at, result);
    }
    result.next_pass_in = result.requeued > 0
                              ? std::chrono::milliseconds(0)
                              : PollDelay({claim.now,
                                           claim.next_due,
                                           claim.next_lease_end,
                                           claim.jobs.size() >= options_.batch_size},
                                          options_.max_sleep);
    return result;
}

void ExpirationWorker::Process(const ClaimResult& claim,
                               SteadyClock::time_point claimed_at,
                               PassResult& result) {
    std::vector<bus::Envelope> envelopes;
    envelopes.reserve(claim.jobs.size());
    for (const auto& job : claim.jobs) {
        bus::EventContext ctx{TraceparentFromPayload(job.payload), clock_.Now()};
        envelopes.push_back(
            bus::MakeEnvelope(events::ExpirationComplete{job.id}, ExpirationEventId(job.id), ctx));
    }
    std::vector<bool> acked = publisher_.PublishBatch(envelopes);
    // The queue's clock at the acknowledgement: its time at the claim plus what passed since.
    util::TimePoint published_at =
        claim.now +
        std::chrono::duration_cast<util::TimePoint::duration>(SteadyClock::now() - claimed_at);
    // The acknowledged jobs are completed in one queue call; the others fail one by one (rare).
    std::vector<Lease> done;
    done.reserve(claim.jobs.size());
    for (std::size_t i = 0; i < claim.jobs.size(); ++i) {
        const auto& job = claim.jobs[i];
        if (i < acked.size() && acked[i]) {
            auto lateness = published_at - job.due;
            metrics_.lateness.Observe(std::max(0.0, Seconds(lateness)));
            metrics_.fired.Inc();
            ++result.fired;
            log::Info("expiration:complete published",
                      {{"order_id", job.id},
                       {"attempt", job.attempt},
                       {"lateness_ms", Millis(lateness)}});
            done.push_back(job.lease());
        } else {
            auto retry_in = RetryDelay(job.attempt, options_.retry);
            queue_.Fail(job.lease(), retry_in);
            metrics_.retries_publish_failed.Inc();
            ++result.failed;
            log::Warn("expiration:complete not acknowledged; retrying",
                      {{"order_id", job.id},
                       {"attempt", job.attempt},
                       {"retry_in_ms", retry_in.count()}});
        }
    }
    std::vector<bool> completed = queue_.CompleteAll(done);
    for (std::size_t i = 0; i < done.size(); ++i) {
        if (!completed[i]) {
            // Cancelled while it ran (or requeued after a stall): the event is out, and
            // orders ignores an expiration of an order that is no longer waiting.
            log::Info("expiration job was removed while it ran", {{"order_id", done[i].job_id}});
        }
    }
}

void ExpirationWorker::Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { Run(); });
}

void ExpirationWorker::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void ExpirationWorker::JobScheduled(std::chrono::milliseconds due_in) {
    auto at = SteadyClock::now() + std::max(due_in, std::chrono::milliseconds(0));
    {
        std::lock_guard lock(mu_);
        if (at >= earliest_scheduled_) {
            return;
        }
        earliest_scheduled_ = at;
    }
    cv_.notify_all();
}

void ExpirationWorker::Run() {
    auto backoff = options_.error_backoff_min;
    bool failing = false;
    std::unique_lock lock(mu_);
    while (!stopping_) {
        earliest_scheduled_ = SteadyClock::time_point::max();
        lock.unlock();
        auto started = SteadyClock::now();
        std::chrono::milliseconds delay;
        try {
            delay = RunOnce().next_pass_in;
            if (failing) {
                log::Info("expiration worker recovered");
                failing = false;
            }
            backoff = options_.error_backoff_min;
        } catch (const std::exception& e) {
            metrics_.poll_errors.Inc();
            // Logged once per outage, not on every retry.
            if (!failing) {
                log::Error("expiration worker pass failed; retrying", {{"error", e.what()}});
                failing = true;
            } else {
                log::Debug("expiration worker pass failed again", {{"error", e.what()}});
            }
            delay = backoff;
            backoff = std::min(backoff * 2, options_.error_backoff_max);
        }
        lock.lock();
        auto wake_at = started + delay;
        const auto earliest_wake = started + options_.min_pass_interval;
        while (!stopping_) {
            wake_at = std::min(wake_at, std::max(earliest_scheduled_, earliest_wake));
            if (SteadyClock::now() >= wake_at) {
                break;
            }
            cv_.wait_until(lock, wake_at);
        }
    }
}

}  // namespace ticketing::expiration

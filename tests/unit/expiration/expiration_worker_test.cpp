// The worker's passes (RunOnce) against an in-memory queue on a FakeClock and a FakeBus: when
// jobs fire, what they publish, retries, stalled leases, lateness, and how long the poller
// sleeps. Its thread is tested in tests/integration/expiration/expiration_worker_thread_test.cpp.
#include "worker/expiration_worker.hpp"

#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/expiration/in_memory_job_queue.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"

#include "domain/expiration_job.hpp"
#include "listeners/listeners.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;
using events::ExpirationComplete;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Runs `before` ahead of each batch it forwards.
class HookPublisher final : public bus::EventPublisher {
public:
    HookPublisher(bus::EventPublisher& inner, std::function<void()> before)
        : inner_(inner), before_(std::move(before)) {}
    std::vector<bool> PublishBatch(std::span<const bus::Envelope> batch) override {
        before_();
        return inner_.PublishBatch(batch);
    }

private:
    bus::EventPublisher& inner_;
    std::function<void()> before_;
};

class ExpirationWorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Into memory: the default stderr writer would start its thread.
        static std::ostringstream log_lines;
        log::InitForTest("test", log::Level::kError, log_lines);
    }

    WorkerOptions Options() {
        WorkerOptions o;
        o.lease = 30s;
        o.max_sleep = 100ms;
        o.retry = {250ms, 10s};
        o.error_backoff_min = 10ms;
        return o;
    }

    void Schedule(const std::string& id, util::TimePoint due) {
        ExpirationJob job{id, due, kTraceparent};
        queue_.Schedule(id, due, EncodePayload(job));
    }

    test::FakeClock clock_;
    test::InMemoryJobQueue queue_{clock_};
    test::FakeBus bus_;
    metrics::Registry registry_;
    ExpirationMetrics metrics_{registry_};
    ExpirationWorker worker_{queue_, bus_, clock_, metrics_, Options()};
};

TEST_F(ExpirationWorkerTest, DoesNothingBeforeTheDueTime) {
    Schedule("o1", clock_.Now() + 15min);
    clock_.Advance(15min - 1ms);
    EXPECT_EQ(worker_.RunOnce().fired, 0u);
    EXPECT_TRUE(bus_.Envelopes().empty());
    EXPECT_TRUE(queue_.Find("o1").has_value());
}

TEST_F(ExpirationWorkerTest, PublishesExpirationCompleteWhenDueAndRemovesTheJob) {
    Schedule("o1", clock_.Now() + 15min);
    clock_.Advance(15min);
    EXPECT_EQ(worker_.RunOnce().fired, 1u);
    auto envelopes = bus_.Envelopes();
    ASSERT_EQ(envelopes.size(), 1u);
    EXPECT_EQ(envelopes[0].subject, "expiration:complete");
    EXPECT_EQ(events::Decode<ExpirationComplete>(envelopes[0].payload), ExpirationComplete{"o1"});
    EXPECT_EQ(envelopes[0].event_id, "expiration-o1");
    EXPECT_EQ(envelopes[0].traceparent, kTraceparent);
    EXPECT_EQ(envelopes[0].occurred_at, util::FormatIso8601(clock_.Now()));
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_EQ(metrics_.fired.Value(), 1.0);
}

TEST_F(ExpirationWorkerTest, FiresAJobOnce) {
    Schedule("o1", clock_.Now());
    worker_.RunOnce();
    clock_.Advance(1h);
    EXPECT_EQ(worker_.RunOnce().fired, 0u);
    EXPECT_EQ(bus_.Published<ExpirationComplete>().size(), 1u);
}

TEST_F(ExpirationWorkerTest, JobsScheduledInThePastFireOnTheNextPass) {
    Schedule("o1", clock_.Now() - 1h);
    EXPECT_EQ(worker_.RunOnce().fired, 1u);
    EXPECT_EQ(bus_.Published<ExpirationComplete>(), (std::vector{ExpirationComplete{"o1"}}));
}

TEST_F(ExpirationWorkerTest, FiresDueJobsEarliestFirst) {
    Schedule("late", clock_.Now() - 1s);
    Schedule("early", clock_.Now() - 2s);
    Schedule("future", clock_.Now() + 1s);
    worker_.RunOnce();
    EXPECT_EQ(bus_.Published<ExpirationComplete>(),
              (std::vector{ExpirationComplete{"early"}, ExpirationComplete{"late"}}));
}

TEST_F(ExpirationWorkerTest, UnacknowledgedPublishIsRetriedAfterABackoff) {
    Schedule("o1", clock_.Now());
    bus_.FailNextPublish();
    auto pass = worker_.RunOnce();
    EXPECT_EQ(pass.failed, 1u);
    auto job = queue_.Find("o1");
    ASSERT_TRUE(job.has_value());
    EXPECT_FALSE(job->active);
    EXPECT_EQ(job->run_at, clock_.Now() + 250ms);
    EXPECT_EQ(metrics_.retries_publish_failed.Value(), 1.0);

    clock_.Advance(249ms);
    EXPECT_EQ(worker_.RunOnce().fired, 0u);
    clock_.Advance(1ms);
    EXPECT_EQ(worker_.RunOnce().fired, 1u);
    EXPECT_EQ(bus_.Published<ExpirationComplete>().size(), 1u);
}

TEST_F(ExpirationWorkerTest, BackoffDoublesWithEachFailedAttempt) {
    Schedule("o1", clock_.Now());
    bus_.FailNextPublish(3);
    worker_.RunOnce();
    clock_.Advance(250ms);
    worker_.RunOnce();
    EXPECT_EQ(queue_.Find("o1")->run_at, clock_.Now() + 500ms);
    clock_.Advance(500ms);
    worker_.RunOnce();
    EXPECT_EQ(queue_.Find("o1")->run_at, clock_.Now() + 1s);
    EXPECT_EQ(queue_.Find("o1")->attempts, 3);
}

TEST_F(ExpirationWorkerTest, StalledJobOfADeadWorkerRunsAgainAfterItsLease) {
    Schedule("o1", clock_.Now());
    // Another worker claimed it (and may have published), then died before completing.
    auto dead = queue_.Claim(10, 30s);
    ASSERT_EQ(dead.jobs.size(), 1u);

    clock_.Advance(30s - 1ms);
    auto before = worker_.RunOnce();
    EXPECT_EQ(before.requeued, 0u);
    EXPECT_EQ(before.next_pass_in, 1ms);
    clock_.Advance(1ms);
    auto requeue = worker_.RunOnce();
    EXPECT_EQ(requeue.requeued, 1u);
    EXPECT_EQ(requeue.next_pass_in, 0ms);
    EXPECT_EQ(worker_.RunOnce().fired, 1u);
    EXPECT_EQ(bus_.Envelopes().at(0).event_id, "expiration-o1");
    EXPECT_EQ(metrics_.retries_lease_expired.Value(), 1.0);
    // The dead worker's lease is worthless now.
    EXPECT_FALSE(queue_.Complete(dead.jobs[0].lease()));
}

TEST_F(ExpirationWorkerTest, JobCancelledWhileItRunsStaysRemoved) {
    HookPublisher publisher(bus_, [this] { queue_.Cancel("o1"); });
    ExpirationWorker worker(queue_, publisher, clock_, metrics_, Options());
    Schedule("o1", clock_.Now());
    EXPECT_EQ(worker.RunOnce().fired, 1u);
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_EQ(queue_.Schedule("o1", clock_.Now(), "").outcome,
              ScheduleResult::Outcome::kAlreadyFinished);
}

TEST_F(ExpirationWorkerTest, LatenessIsPublishTimeMinusDueTime) {
    Schedule("o1", clock_.Now());
    clock_.Advance(5s);
    worker_.RunOnce();
    EXPECT_EQ(metrics_.lateness.Count(), 1u);
    EXPECT_GE(metrics_.lateness.Sum(), 5.0);
    EXPECT_LT(metrics_.lateness.Sum(), 6.0);
}

TEST_F(ExpirationWorkerTest, NextPassWaitsForTheEarliestJobUpToMaxSleep) {
    EXPECT_EQ(worker_.RunOnce().next_pass_in, 100ms);
    Schedule("o1", clock_.Now() + 40ms);
    EXPECT_EQ(worker_.RunOnce().next_pass_in, 40ms);
    Schedule("o0", clock_.Now() + 10ms);
    EXPECT_EQ(worker_.RunOnce().next_pass_in, 10ms);
}

TEST_F(ExpirationWorkerTest, FullBatchAsksForAnImmediatePass) {
    auto options = Options();
    options.batch_size = 2;
    ExpirationWorker worker(queue_, bus_, clock_, metrics_, options);
    for (const char* id : {"o1", "o2", "o3"}) {
        Schedule(id, clock_.Now());
    }
    auto first = worker.RunOnce();
    EXPECT_EQ(first.fired, 2u);
    EXPECT_EQ(first.next_pass_in, 0ms);
    EXPECT_EQ(worker.RunOnce().fired, 1u);
}

TEST_F(ExpirationWorkerTest, GaugesShowTheQueueAfterTheClaim) {
    Schedule("o1", clock_.Now() + 1h);
    Schedule("o2", clock_.Now() + 2h);
    queue_.Schedule("stuck", clock_.Now(), "");
    queue_.Claim(10, 30s);
    worker_.RunOnce();
    EXPECT_EQ(metrics_.queue_depth.Value(), 2.0);
    EXPECT_EQ(metrics_.active_jobs.Value(), 1.0);
}

TEST_F(ExpirationWorkerTest, QueueDownMakesThePassThrow) {
    queue_.FailNext();
    EXPECT_THROW(worker_.RunOnce(), QueueError);
}

}  // namespace
}  // namespace ticketing::expiration

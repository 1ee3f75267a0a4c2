// The worker's own thread (Start/Stop) against an in-memory queue on a FakeClock and a FakeBus:
// it keeps polling after failed passes, a listener's schedule wakes it from a long sleep, and
// Stop interrupts the sleep. Threads, so not a unit test; its passes are tested one at a time
// (RunOnce) in tests/unit/expiration/expiration_worker_test.cpp.
#include <gtest/gtest.h>

#include "common/metrics/registry.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/process.hpp"

#include "domain/expiration_job.hpp"
#include "common/testing/expiration/in_memory_job_queue.hpp"
#include "listeners/listeners.hpp"
#include "worker/expiration_worker.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;
using events::ExpirationComplete;

class ExpirationWorkerThreadTest : public ::testing::Test {
protected:
    // A worker whose thread sleeps at most `max_sleep` between passes, and 10 ms after a failed
    // one.
    static WorkerOptions Sleeping(std::chrono::milliseconds max_sleep) {
        WorkerOptions o;
        o.max_sleep = max_sleep;
        o.error_backoff_min = 10ms;
        return o;
    }

    void Schedule(const std::string& id, util::TimePoint due) {
        queue_.Schedule(id, due, EncodePayload(ExpirationJob{id, due, ""}));
    }

    test::FakeClock clock_;
    test::InMemoryJobQueue queue_{clock_};
    test::FakeBus bus_;
    metrics::Registry registry_;
    ExpirationMetrics metrics_{registry_};
};

TEST_F(ExpirationWorkerThreadTest, ThreadKeepsPollingAfterQueueFailures) {
    Schedule("o1", clock_.Now());
    queue_.FailNext(3);
    ExpirationWorker worker(queue_, bus_, clock_, metrics_, Sleeping(100ms));
    worker.Start();
    EXPECT_TRUE(test::WaitUntil([&] { return !bus_.Envelopes().empty(); }, 10s));
    worker.Stop();
    EXPECT_EQ(metrics_.poll_errors.Value(), 3.0);
}

TEST_F(ExpirationWorkerThreadTest, SleepingThreadWakesWhenAnEarlierJobIsScheduled) {
    // Without a wake-up nothing would fire during the test.
    ExpirationWorker worker(queue_, bus_, clock_, metrics_, Sleeping(1h));
    Listeners listeners(queue_, worker, metrics_);
    listeners.SubscribeAll(bus_);
    Schedule("sentinel", clock_.Now() + 2h);
    worker.Start();
    // The first pass saw the sentinel and set the gauge; from here the thread sleeps an hour.
    ASSERT_TRUE(test::WaitUntil([&] { return metrics_.queue_depth.Value() == 1.0; }, 5s));
    bus_.Deliver(events::OrderCreated{
        "o1", 0, events::OrderStatus::kCreated, "u1", clock_.Now(), {"t1", 100}});
    EXPECT_TRUE(
        test::WaitUntil([&] { return bus_.Published<ExpirationComplete>().size() == 1; }, 10s));
    worker.Stop();
}

TEST_F(ExpirationWorkerThreadTest, StopInterruptsTheSleep) {
    ExpirationWorker worker(queue_, bus_, clock_, metrics_, Sleeping(1h));
    worker.Start();
    auto started = std::chrono::steady_clock::now();
    worker.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace ticketing::expiration

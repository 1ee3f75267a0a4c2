// The listeners against an in-memory queue, delivered through FakeBus exactly as the subscriber
// would (decoding, and a throw turned into a retry).
#include "listeners/listeners.hpp"

#include <mutex>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/expiration/in_memory_job_queue.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"

#include "domain/expiration_job.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;
using bus::AckDecision;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class RecordingNotifier final : public ScheduleNotifier {
public:
    void JobScheduled(std::chrono::milliseconds due_in) override {
        std::lock_guard lock(mu_);
        calls_.push_back(due_in);
    }
    std::vector<std::chrono::milliseconds> Calls() const {
        std::lock_guard lock(mu_);
        return calls_;
    }

private:
    mutable std::mutex mu_;
    std::vector<std::chrono::milliseconds> calls_;
};

class ListenersTest : public ::testing::Test {
protected:
    void SetUp() override { listeners_.SubscribeAll(bus_); }

    events::OrderCreated Created(const std::string& id, util::TimePoint expires_at) {
        return {id, 0, events::OrderStatus::kCreated, "u1", expires_at, {"t1", 2000}};
    }
    AckDecision DeliverCreated(const events::OrderCreated& e) {
        bus::MessageMeta meta;
        meta.traceparent = kTraceparent;
        return bus_.Deliver(e, meta).decision;
    }

    test::FakeClock clock_;
    test::InMemoryJobQueue queue_{clock_};
    test::FakeBus bus_;
    RecordingNotifier notifier_;
    metrics::Registry registry_;
    ExpirationMetrics metrics_{registry_};
    Listeners listeners_{queue_, notifier_, metrics_};
};

TEST_F(ListenersTest, OrderCreatedSchedulesAJobAtExpiresAt) {
    EXPECT_EQ(DeliverCreated(Created("o1", clock_.Now() + 15min)), AckDecision::kAck);
    auto job = queue_.Find("o1");
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->due, clock_.Now() + 15min);
    EXPECT_FALSE(job->active);
    EXPECT_EQ(TraceparentFromPayload(job->payload), kTraceparent);
    EXPECT_EQ(metrics_.scheduled.Value(), 1.0);
}

TEST_F(ListenersTest, OrderCreatedWakesTheWorkerWithTheDelayUntilDue) {
    DeliverCreated(Created("o1", clock_.Now() + 40ms));
    EXPECT_EQ(notifier_.Calls(), (std::vector<std::chrono::milliseconds>{40ms}));
}

TEST_F(ListenersTest, RedeliveredOrderCreatedAddsNoSecondJob) {
    auto event = Created("o1", clock_.Now() + 15min);
    EXPECT_EQ(DeliverCreated(event), AckDecision::kAck);
    auto later = event;
    later.expires_at += 1h;
    EXPECT_EQ(DeliverCreated(later), AckDecision::kAck);
    EXPECT_EQ(queue_.Stats().pending, 1);
    EXPECT_EQ(queue_.Find("o1")->due, clock_.Now() + 15min);
    EXPECT_EQ(notifier_.Calls().size(), 1u);
}

TEST_F(ListenersTest, OrderCreatedForAnOrderNoLongerWaitingSchedulesNothing) {
    auto event = Created("o1", clock_.Now() + 15min);
    event.status = events::OrderStatus::kCancelled;
    EXPECT_EQ(DeliverCreated(event), AckDecision::kAck);
    EXPECT_FALSE(queue_.Find("o1").has_value());
}

TEST_F(ListenersTest, OrderCancelledRemovesTheJob) {
    DeliverCreated(Created("o1", clock_.Now() + 15min));
    EXPECT_EQ(bus_.Deliver(events::OrderCancelled{"o1", 1, {"t1"}}).decision, AckDecision::kAck);
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_EQ(metrics_.removed.Value(), 1.0);
}

TEST_F(ListenersTest, OrderCompletedRemovesTheJob) {
    DeliverCreated(Created("o1", clock_.Now() + 15min));
    EXPECT_EQ(bus_.Deliver(events::OrderCompleted{"o1", 1, {"t1"}}).decision, AckDecision::kAck);
    EXPECT_FALSE(queue_.Find("o1").has_value());
}

TEST_F(ListenersTest, RemovingAMissingJobAcks) {
    EXPECT_EQ(bus_.Deliver(events::OrderCancelled{"unknown", 1, {"t1"}}).decision,
              AckDecision::kAck);
    EXPECT_EQ(bus_.Deliver(events::OrderCompleted{"unknown", 1, {"t1"}}).decision,
              AckDecision::kAck);
    EXPECT_EQ(metrics_.removed.Value(), 0.0);
}

// The service gives scheduling and removal their own Redis connections: each listener must use
// the queue it was given. (Two in-memory queues stand for two connections; here they do not share
// their data, so a tombstone shows which one the removal went to.)
TEST(ListenersOnTwoQueues, SchedulingAndRemovalUseTheirOwnQueue) {
    test::FakeClock clock;
    test::InMemoryJobQueue scheduling{clock}, removal{clock};
    test::FakeBus bus;
    RecordingNotifier notifier;
    metrics::Registry registry;
    ExpirationMetrics metrics{registry};
    Listeners listeners{scheduling, removal, notifier, metrics};
    listeners.SubscribeAll(bus);

    events::OrderCreated created{
        "o1", 0, events::OrderStatus::kCreated, "u1", clock.Now() + 15min, {"t1", 2000}};
    EXPECT_EQ(bus.Deliver(created).decision, AckDecision::kAck);
    EXPECT_TRUE(scheduling.Find("o1").has_value());
    EXPECT_FALSE(removal.Find("o1").has_value());

    // The removal queue records the cancellation (its tombstone refuses a later schedule); the
    // scheduling queue is not touched.
    EXPECT_EQ(bus.Deliver(events::OrderCancelled{"o1", 1, {"t1"}}).decision, AckDecision::kAck);
    EXPECT_TRUE(scheduling.Find("o1").has_value());
    EXPECT_EQ(removal.Schedule("o1", clock.Now() + 15min, "{}").outcome,
              ScheduleResult::Outcome::kAlreadyFinished);
}

TEST_F(ListenersTest, OrderCreatedArrivingAfterItsCancelIsIgnored) {
    bus_.Deliver(events::OrderCancelled{"o1", 1, {"t1"}});
    EXPECT_EQ(DeliverCreated(Created("o1", clock_.Now() + 15min)), AckDecision::kAck);
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_TRUE(notifier_.Calls().empty());
}

TEST_F(ListenersTest, OrderCreatedIsScheduledAgainOnceTheTombstoneExpired) {
    bus_.Deliver(events::OrderCancelled{"o1", 1, {"t1"}});
    clock_.Advance(25h);
    DeliverCreated(Created("o1", clock_.Now() + 15min));
    EXPECT_TRUE(queue_.Find("o1").has_value());
}

TEST_F(ListenersTest, QueueDownIsRetried) {
    queue_.FailNext(2);
    EXPECT_EQ(DeliverCreated(Created("o1", clock_.Now() + 15min)), AckDecision::kRetry);
    EXPECT_EQ(bus_.Deliver(events::OrderCancelled{"o2", 1, {"t1"}}).decision, AckDecision::kRetry);
    EXPECT_EQ(DeliverCreated(Created("o1", clock_.Now() + 15min)), AckDecision::kAck);
    EXPECT_TRUE(queue_.Find("o1").has_value());
}

}  // namespace
}  // namespace ticketing::expiration

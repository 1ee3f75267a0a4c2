// The pure expiration rules: which order makes a job, its payload and event id, the retry
// backoff and the poller's sleep.
#include "domain/expiration_job.hpp"

#include <gtest/gtest.h>

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;

const util::TimePoint kNow = util::FromEpochMs(1'795'341'600'000);
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

events::OrderCreated Order(events::OrderStatus status) {
    events::OrderCreated order;
    order.id = "64a1f0c2e4b0a1b2c3d4e5f6";
    order.status = status;
    order.user_id = "u1";
    order.expires_at = kNow + 15min;
    order.ticket = {"t1", 2000};
    return order;
}

TEST(JobForOrderCreated, IsDueAtExpiresAtWithTheOrderIdAsJobId) {
    auto job = JobForOrderCreated(Order(events::OrderStatus::kCreated), kTraceparent);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(*job, (ExpirationJob{"64a1f0c2e4b0a1b2c3d4e5f6", kNow + 15min, kTraceparent}));
}

TEST(JobForOrderCreated, SchedulesAnOrderAwaitingPayment) {
    EXPECT_TRUE(JobForOrderCreated(Order(events::OrderStatus::kAwaitingPayment), "").has_value());
}

TEST(JobForOrderCreated, SkipsOrdersThatCanNoLongerExpire) {
    EXPECT_FALSE(JobForOrderCreated(Order(events::OrderStatus::kCancelled), "").has_value());
    EXPECT_FALSE(JobForOrderCreated(Order(events::OrderStatus::kComplete), "").has_value());
}

TEST(Payload, CarriesTheTraceparent) {
    ExpirationJob job{"o1", kNow, kTraceparent};
    EXPECT_EQ(TraceparentFromPayload(EncodePayload(job)), kTraceparent);
}

TEST(Payload, UnreadableGivesAnEmptyTraceparent) {
    EXPECT_EQ(TraceparentFromPayload(""), "");
    EXPECT_EQ(TraceparentFromPayload("{not json"), "");
    EXPECT_EQ(TraceparentFromPayload(R"({"traceparent": 7})"), "");
    EXPECT_EQ(TraceparentFromPayload("[]"), "");
}

TEST(ExpirationEventId, IsExpirationDashOrderId) {
    EXPECT_EQ(ExpirationEventId("64a1f0c2e4b0a1b2c3d4e5f6"), "expiration-64a1f0c2e4b0a1b2c3d4e5f6");
}

TEST(RetryDelay, DoublesFromInitialUpToMax) {
    RetryPolicy policy{250ms, 10s};
    EXPECT_EQ(RetryDelay(1, policy), 250ms);
    EXPECT_EQ(RetryDelay(2, policy), 500ms);
    EXPECT_EQ(RetryDelay(3, policy), 1000ms);
    EXPECT_EQ(RetryDelay(6, policy), 8000ms);
    EXPECT_EQ(RetryDelay(7, policy), 10s);
    EXPECT_EQ(RetryDelay(1000, policy), 10s);
}

TEST(PollDelay, SleepsUntilTheEarliestWaitingJob) {
    EXPECT_EQ(PollDelay({kNow, kNow + 40ms, std::nullopt, false}, 100ms), 40ms);
}

TEST(PollDelay, IsCappedByMaxSleep) {
    EXPECT_EQ(PollDelay({kNow, kNow + 15min, std::nullopt, false}, 100ms), 100ms);
}

TEST(PollDelay, IsMaxSleepWhenNothingWaits) {
    EXPECT_EQ(PollDelay({kNow, std::nullopt, std::nullopt, false}, 100ms), 100ms);
}

TEST(PollDelay, WakesForTheEarliestLeaseEnd) {
    EXPECT_EQ(PollDelay({kNow, kNow + 90ms, kNow + 20ms, false}, 100ms), 20ms);
}

TEST(PollDelay, IsZeroForAnOverdueJob) {
    EXPECT_EQ(PollDelay({kNow, kNow - 5s, std::nullopt, false}, 100ms), 0ms);
}

TEST(PollDelay, IsZeroAfterAFullBatch) {
    EXPECT_EQ(PollDelay({kNow, kNow + 50ms, std::nullopt, true}, 100ms), 0ms);
}

}  // namespace
}  // namespace ticketing::expiration

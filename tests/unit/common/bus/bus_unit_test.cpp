// Bus logic without a server, a database or a thread: naming, retry delays, the typed handler
// wrapper's mapping of failures to decisions, FakeBus, the migrations list. The outbox relay on a
// SQLite file is in tests/integration/common/bus/outbox_relay_test.cpp.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/log/log.hpp"
#include "common/testing/fake_bus.hpp"

namespace ticketing::bus {
namespace {

using namespace std::chrono_literals;
using events::OrderCancelled;

TEST(ConsumerName, ReplacesColonsInTheSubject) {
    EXPECT_EQ(ConsumerName("orders-service", "ticket:updated"), "orders-service-ticket-updated");
}

TEST(NewEventId, IsThirtyTwoLowercaseHexStartingWithTheMillisecondsSinceTheEpoch) {
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::string id = NewEventId();
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    const long long stamp = std::stoll(id.substr(0, 12), nullptr, 16);
    EXPECT_GE(stamp, before);
    EXPECT_LE(stamp, after);
}

TEST(NewEventId, IdsMadeInALaterMillisecondSortAfterAndIdsNeverRepeat) {
    // What keeps inbox inserts at the end of its B-tree (issue 20): a later id sorts later.
    std::vector<std::string> ids;
    std::set<std::string> distinct;
    const std::string first = NewEventId();
    std::string later;
    // Make ids until the clock has moved on by a millisecond (a condition, not a sleep).
    do {
        later = NewEventId();
        ids.push_back(later);
        distinct.insert(later);
    } while (later.compare(0, 12, first, 0, 12) == 0);
    EXPECT_LT(first, later);
    EXPECT_EQ(distinct.size(), ids.size());
    EXPECT_FALSE(distinct.contains(first));
}

TEST(SplitServerUrls, SplitsACommaSeparatedListAndTrimsSpaces) {
    EXPECT_EQ(SplitServerUrls("nats://a:4222, nats://b:4223 ,,nats://c:4224"),
              (std::vector<std::string>{"nats://a:4222", "nats://b:4223", "nats://c:4224"}));
    EXPECT_EQ(SplitServerUrls("nats://a:4222"), (std::vector<std::string>{"nats://a:4222"}));
    EXPECT_TRUE(SplitServerUrls("").empty());
}

TEST(RetryDelay, DoublesFromFiftyMillisecondsUpToFiveSeconds) {
    EXPECT_EQ(RetryDelay(1), 50ms);
    EXPECT_EQ(RetryDelay(2), 100ms);
    EXPECT_EQ(RetryDelay(3), 200ms);
    EXPECT_EQ(RetryDelay(7), 3200ms);
    EXPECT_EQ(RetryDelay(8), 5000ms);
    EXPECT_EQ(RetryDelay(1000), 5000ms);
}

TEST(TransientRetryDelay, DoublesFromFiftyMillisecondsUpToTheCap) {
    EXPECT_EQ(TransientRetryDelay(1, 30s), 50ms);
    EXPECT_EQ(TransientRetryDelay(2, 30s), 100ms);
    EXPECT_EQ(TransientRetryDelay(10, 30s), 25600ms);
    EXPECT_EQ(TransientRetryDelay(11, 30s), 30s);
    // However long the outage: no overflow, still the cap.
    EXPECT_EQ(TransientRetryDelay(1'000'000, 30s), 30s);
    EXPECT_EQ(TransientRetryDelay(0, 30s), 50ms);
}

TEST(MakeRawHandler, ANotYetOfAVersionedEventNamesTheVersionItWaitsFor) {
    auto raw = MakeRawHandler<OrderCancelled>(
        [](const OrderCancelled&, const MessageMeta&) { return AckDecision::kRetry; });
    auto result = raw(R"({"id":"o7","version":3,"ticket":{"id":"t"}})", {});
    EXPECT_EQ(result.decision, AckDecision::kRetry);
    EXPECT_FALSE(result.transient);
    EXPECT_EQ(result.reason, "waiting for version 2 of order:cancelled o7");
}

TEST(MakeRawHandler, DecodesAndPassesTheHandlersDecision) {
    auto raw = MakeRawHandler<OrderCancelled>([](const OrderCancelled& e, const MessageMeta&) {
        return e.version == 1 ? AckDecision::kAck : AckDecision::kRetry;
    });
    EXPECT_EQ(raw(R"({"id":"o","version":1,"ticket":{"id":"t"}})", {}).decision, AckDecision::kAck);
    EXPECT_EQ(raw(R"({"id":"o","version":3,"ticket":{"id":"t"}})", {}).decision,
              AckDecision::kRetry);
}

TEST(MakeRawHandler, DeadLettersUndecodablePayloadWithReason) {
    bool called = false;
    auto raw = MakeRawHandler<OrderCancelled>([&](const OrderCancelled&, const MessageMeta&) {
        called = true;
        return AckDecision::kAck;
    });
    auto result = raw(R"({"id":"o","version":1})", {});
    EXPECT_EQ(result.decision, AckDecision::kDeadLetter);
    EXPECT_EQ(result.reason, "undecodable: ticket is required");
    EXPECT_FALSE(called);
}

TEST(MakeRawHandler, RetriesWhenTheHandlerThrows) {
    log::Init("test", log::Level::kError);
    auto raw = MakeRawHandler<OrderCancelled>(
        [](const OrderCancelled&, const MessageMeta&) -> AckDecision {
            throw std::runtime_error("database is locked");
        });
    auto result = raw(R"({"id":"o","version":1,"ticket":{"id":"t"}})", {});
    EXPECT_EQ(result.decision, AckDecision::kRetry);
    EXPECT_TRUE(result.transient);  // a dependency failed: never dead-lettered
    EXPECT_EQ(result.reason, "handler failed: database is locked");
}

TEST(FakeBus, DeliversToTheSubscribedHandlerAndRecordsPublishes) {
    test::FakeBus bus;
    std::string seen;
    bus.Subscribe<OrderCancelled>([&](const OrderCancelled& e, const MessageMeta& m) {
        seen = e.id + "@" + m.subject;
        return AckDecision::kAck;
    });
    EXPECT_EQ(bus.Deliver(OrderCancelled{"o1", 1, {"t1"}}).decision, AckDecision::kAck);
    EXPECT_EQ(seen, "o1@order:cancelled");
    bus.FailNextPublish();
    auto env = MakeEnvelope(OrderCancelled{"o2", 1, {"t2"}}, "e2", {"", {}});
    EXPECT_FALSE(bus.Publish(env));
    EXPECT_TRUE(bus.Publish(env));
    ASSERT_EQ(bus.Published<OrderCancelled>().size(), 1u);
    EXPECT_EQ(bus.Published<OrderCancelled>()[0].id, "o2");
}

TEST(WithBusMigrations, RejectsServiceVersionsBelowOneHundred) {
    std::vector<db::Migration> own = {{5, "tickets", "CREATE TABLE x (id TEXT)"}};
    EXPECT_THROW(WithBusMigrations(false, own), std::invalid_argument);
    std::vector<db::Migration> ok = {{100, "tickets", "CREATE TABLE x (id TEXT)"}};
    auto all = WithBusMigrations(true, ok);
    ASSERT_EQ(all.size(), 5u);  // outbox, inbox, replay_runs, inbox_handled_at, the service's
    EXPECT_EQ(all.back().version, 100);
}

}  // namespace
}  // namespace ticketing::bus

// Bus logic without a server: naming, retry delays, the typed handler wrapper's mapping of
// failures to decisions, and the outbox relay against FakeBus on a SQLite file.
#include <mutex>
#include <span>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/process.hpp"

namespace ticketing::bus {
namespace {

using namespace std::chrono_literals;
using events::OrderCancelled;

TEST(ConsumerName, ReplacesColonsInTheSubject) {
    EXPECT_EQ(ConsumerName("orders-service", "ticket:updated"), "orders-service-ticket-updated");
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

class OutboxRelayTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", log::Level::kError);
        db_ = db::Database::Open("sqlite://" + (dir_.Path() / "o.db").string());
        db::RunMigrations(*db_, WithBusMigrations(false, {}));
    }

    void Add(int n) {
        db_->Transaction([&](soci::session& tx) {
            Outbox::Add(tx, OrderCancelled{"o" + std::to_string(n), 1, {"t"}}, {"tp", {}});
        });
    }

    test::TempDir dir_;
    std::unique_ptr<db::Database> db_;
    metrics::Registry registry_;
    test::FakeBus bus_;
};

TEST_F(OutboxRelayTest, AddWritesARowInTheCallersTransaction) {
    try {
        db_->Transaction([&](soci::session& tx) {
            Outbox::Add(tx, OrderCancelled{"o1", 1, {"t"}}, {"tp", {}});
            throw std::runtime_error("the state change failed");
        });
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(Outbox::Backlog(*db_), 0);  // rolled back with it
    Add(2);
    EXPECT_EQ(Outbox::Backlog(*db_), 1);
}

TEST_F(OutboxRelayTest, RelayPublishesInOrderAndDeletesRows) {
    for (int i = 0; i < 10; ++i) {
        Add(i);
    }
    OutboxRelay relay(*db_, bus_, registry_);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
    auto published = bus_.Published<OrderCancelled>();
    ASSERT_EQ(published.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(published[static_cast<std::size_t>(i)].id, "o" + std::to_string(i));
    }
    EXPECT_EQ(bus_.Envelopes()[0].traceparent, "tp");
}

TEST_F(OutboxRelayTest, RelayKeepsRowsTheBusRefusedAndRetriesThem) {
    bus_.FailNextPublish(3);
    for (int i = 0; i < 5; ++i) {
        Add(i);
    }
    RelayOptions o;
    o.min_backoff = 10ms;
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
    // Every event, none lost. Rows after a refused one are published again (the fake keeps the
    // copies that the stream's duplicate window drops), so compare the distinct events in the
    // order they were last published: that is the order the relay committed them.
    std::vector<std::string> last_order;
    for (const auto& e : bus_.Published<OrderCancelled>()) {
        std::erase(last_order, e.id);
        last_order.push_back(e.id);
    }
    EXPECT_EQ(last_order, (std::vector<std::string>{"o0", "o1", "o2", "o3", "o4"}));
}

// A bus that refuses one row in the middle of the first batch (as a stream without a leader for
// a moment would) and records every batch it is given, as order ids.
class RefusingOnceBus final : public EventPublisher {
public:
    std::vector<bool> PublishBatch(std::span<const Envelope> batch) override {
        std::lock_guard lock(mu_);
        std::vector<std::string> ids;
        std::vector<bool> acked;
        for (const auto& e : batch) {
            ids.push_back(events::Decode<OrderCancelled>(e.payload).id);
            acked.push_back(!(calls_.empty() && ids.size() == 5));  // the 5th of the first batch
        }
        calls_.push_back(std::move(ids));
        return acked;
    }
    std::vector<std::vector<std::string>> Calls() const {
        std::lock_guard lock(mu_);
        return calls_;
    }

private:
    mutable std::mutex mu_;
    std::vector<std::vector<std::string>> calls_;
};

// After a refused row the relay deletes only what came before it, resumes from it, and publishes
// one row at a time until past every row that was in flight, so no row goes out again ahead of
// an unacknowledged one; then it batches again.
TEST_F(OutboxRelayTest, AfterARefusedRowTheRelayResumesFromItOneRowAtATime) {
    for (int i = 0; i < 10; ++i) {
        Add(i);
    }
    RefusingOnceBus bus;
    RelayOptions o;
    o.batch_size = 8;
    o.min_backoff = 1ms;
    o.idle_poll = std::chrono::hours(1);  // only Wake can start a pass once it is idle
    OutboxRelay relay(*db_, bus, registry_, o);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
    using Ids = std::vector<std::string>;
    std::vector<Ids> expected = {
        {"o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7"},  // o4 refused, o5..o7 in flight
        {"o4"}, {"o5"}, {"o6"}, {"o7"},                    // one at a time past o7
        {"o8", "o9"},                                      // batching again
    };
    EXPECT_EQ(bus.Calls(), expected);
}

TEST_F(OutboxRelayTest, WakeMakesTheRelayLookAtOnce) {
    RelayOptions o;
    o.idle_poll = std::chrono::hours(1);  // only Wake can make it look
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    Add(1);
    relay.Wake();
    EXPECT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
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

// OutboxRelay against FakeBus on a SQLite file: rows added in the caller's transaction, published
// in order and deleted (several passes' rows in one delete), kept and retried when the bus
// refuses them, resumed one row at a time after a refusal, skipped while their delete fails, and
// looked at as soon as Wake is called, a new row under a published row's id told apart from it;
// and the SQLite outbox rebuilt without AUTOINCREMENT.
// (Moved from the unit tests: it opens a database and starts the relay's thread.)
#include <algorithm>
#include <atomic>
#include <mutex>
#include <span>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
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

// The order ids of every OrderCancelled the bus accepted, in order.
std::vector<std::string> PublishedIds(const test::FakeBus& bus) {
    std::vector<std::string> ids;
    for (const auto& e : bus.Published<OrderCancelled>()) {
        ids.push_back(e.id);
    }
    return ids;
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

    // Commits one event, as SqlTransactionRunner does with events_committed: its row goes to
    // relay.PublishCommitted right after the commit (Database::AfterCommit).
    void AddOnCommit(OutboxRelay& relay, const std::string& order_id) {
        db_->Transaction([&](soci::session& tx) {
            auto e = MakeEnvelope(OrderCancelled{order_id, 1, {"t"}}, NewEventId(), {"tp", {}});
            const long long id = Outbox::AddEnvelope(tx, e);
            std::vector<OutboxRow> rows{{id, e}};
            ASSERT_TRUE(db_->AfterCommit(
                [&relay, rows]() mutable { relay.PublishCommitted(std::move(rows)); }));
        });
    }

    // Commits one row at a time, order ids "o<first>" up to "o<last>" (excluded), each published
    // before the next, until taken() says the path under test was taken; appends their ids to
    // `committed`.
    template <typename Taken>
    ::testing::AssertionResult CommitOneAtATime(
        OutboxRelay& relay, std::vector<std::string>& committed, int first, int last, Taken taken) {
        for (int i = first; i < last && !taken(); ++i) {
            committed.push_back("o" + std::to_string(i));
            AddOnCommit(relay, committed.back());
            if (!test::WaitUntil([&] { return relay.published() == committed.size(); }, 5s)) {
                return ::testing::AssertionFailure() << committed.back() << " was never published";
            }
        }
        return ::testing::AssertionSuccess();
    }

    test::TempDir dir_;
    std::unique_ptr<db::Database> db_;
    metrics::Registry registry_;
    test::FakeBus bus_;
};

// What was published, each event once (a row published again is dropped by the stream's
// duplicate window; FakeBus records it twice).
std::vector<std::string> FirstSeen(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
        if (std::find(out.begin(), out.end(), id) == out.end()) {
            out.push_back(id);
        }
    }
    return out;
}

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

// A bus that refuses everything for a while (JetStream down): the relay keeps every row and,
// once the bus takes them, publishes each once, in the order the rows were committed.
TEST_F(OutboxRelayTest, RelayRetriesRowsTheBusRefusedAndPublishesThemInCommitOrder) {
    for (int i = 0; i < 5; ++i) {
        Add(i);
    }
    bus_.FailNextPublish(6);  // the first batch of five, then the first row again on its own
    RelayOptions o;
    o.min_backoff = 10ms;
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
    EXPECT_EQ(PublishedIds(bus_), (std::vector<std::string>{"o0", "o1", "o2", "o3", "o4"}));
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

// The sweeper deletes what JetStream acknowledged on a thread of its own. While the database
// refuses its deletes (a trigger here), the rows stay and the relay skips them: a later row is
// published alone, nothing twice; once deletes work again the rows go.
TEST_F(OutboxRelayTest, WhileDeletesFailTheRelayPublishesNothingTwiceAndTheRowsGoOnceTheyCan) {
    db_->Transaction([](soci::session& s) {
        s << "CREATE TRIGGER refuse_deletes BEFORE DELETE ON outbox "
             "BEGIN SELECT RAISE(ABORT, 'deletes refused'); END";
    });
    for (int i = 0; i < 3; ++i) {
        Add(i);
    }
    RelayOptions o;
    o.min_backoff = 1ms;
    o.max_backoff = 20ms;
    o.idle_poll = std::chrono::hours(1);  // only Wake can start a pass once it is idle
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return bus_.Published<OrderCancelled>().size() >= 3; }, 5s));
    Add(3);
    relay.Wake();
    // The pass that published o3 read o0..o2 again: they had to be skipped.
    ASSERT_TRUE(test::WaitUntil([&] { return bus_.Published<OrderCancelled>().size() >= 4; }, 5s));
    EXPECT_EQ(PublishedIds(bus_), (std::vector<std::string>{"o0", "o1", "o2", "o3"}));
    EXPECT_EQ(Outbox::Backlog(*db_), 4);  // every delete was refused
    db_->Transaction([](soci::session& s) { s << "DROP TRIGGER refuse_deletes"; });
    EXPECT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    EXPECT_EQ(bus_.Published<OrderCancelled>().size(), 4u);
}

// Events committed one at a time, each published by a pass of its own: the sweeper waits for
// the acknowledgements of the next batches (RelayOptions::sweep_delay, an hour here) and deletes
// them together once a batch's worth waits. Meanwhile the relay reads the waiting rows again and
// skips them: nothing is published twice.
TEST_F(OutboxRelayTest, TheSweeperDeletesTheRowsOfSeveralPassesInOneTransaction) {
    RelayOptions o;
    o.batch_size = 4;
    o.sweep_delay = std::chrono::hours(1);
    o.idle_poll = std::chrono::hours(1);  // only Wake can start a pass once it is idle
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    for (int i = 0; i < 4; ++i) {
        Add(i);
        relay.Wake();
        const auto want = static_cast<std::size_t>(i + 1);
        ASSERT_TRUE(test::WaitUntil(
            [&] { return bus_.Published<OrderCancelled>().size() >= want; }, 5s));
    }
    // The fourth acknowledgement makes a batch's worth: all four rows go at once.
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
    EXPECT_NE(registry_.Render().find("outbox_sweeps_total 1\n"), std::string::npos)
        << registry_.Render();
    EXPECT_EQ(PublishedIds(bus_), (std::vector<std::string>{"o0", "o1", "o2", "o3"}));
}

// What the sweeper still holds when the relay stops is deleted before Stop returns, however long
// its delay.
TEST_F(OutboxRelayTest, StopDeletesThePublishedRowsTheSweeperHolds) {
    RelayOptions o;
    o.sweep_delay = std::chrono::hours(1);
    OutboxRelay relay(*db_, bus_, registry_, o);
    Add(1);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return relay.published() == 1; }, 5s));
    relay.Stop();
    EXPECT_EQ(Outbox::Backlog(*db_), 0);
    EXPECT_EQ(bus_.Published<OrderCancelled>().size(), 1u);
}

// Migration 5 (SQLite) rebuilds the outbox without AUTOINCREMENT: rows written before it keep
// their ids and order, the next id follows the highest, sqlite_sequence no longer counts it, and
// the relay publishes old and new rows in commit order.
TEST(OutboxMigrationTest, AnOutboxFromBeforeKeepsItsRowsAndOrderWithoutAutoincrement) {
    log::Init("test", log::Level::kError);
    test::TempDir dir;
    auto db = db::Database::Open("sqlite://" + (dir.Path() / "o.db").string());
    std::vector<db::Migration> before;
    for (const auto& m : Migrations(false)) {
        if (m.version < 5) {
            before.push_back(m);
        }
    }
    db::RunMigrations(*db, before);
    auto add = [&](int n) {
        db->Transaction([&](soci::session& tx) {
            Outbox::Add(tx, OrderCancelled{"o" + std::to_string(n), 1, {"t"}}, {"tp", {}});
        });
    };
    for (int i = 0; i < 4; ++i) {
        add(i);
    }
    // The first row published and deleted already: the ids left are 2, 3 and 4.
    db->Transaction([](soci::session& s) { s << "DELETE FROM outbox WHERE id = 1"; });

    db::RunMigrations(*db, WithBusMigrations(false, {}));
    add(4);
    auto ids_and_sql = db->WithSession([](soci::session& s) {
        std::vector<long long> ids(10);
        s << "SELECT id FROM outbox ORDER BY id", soci::into(ids);
        std::string sql;
        s << "SELECT sql FROM sqlite_master WHERE name = 'outbox'", soci::into(sql);
        int counted = 0;
        s << "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'outbox'", soci::into(counted);
        return std::make_tuple(ids, sql, counted);
    });
    EXPECT_EQ(std::get<0>(ids_and_sql), (std::vector<long long>{2, 3, 4, 5}));
    EXPECT_EQ(std::get<1>(ids_and_sql).find("AUTOINCREMENT"), std::string::npos)
        << std::get<1>(ids_and_sql);
    EXPECT_EQ(std::get<2>(ids_and_sql), 0);

    metrics::Registry registry;
    test::FakeBus bus;
    OutboxRelay relay(*db, bus, registry);
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db) == 0; }, 5s));
    EXPECT_EQ(PublishedIds(bus), (std::vector<std::string>{"o1", "o2", "o3", "o4"}));
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

// SQLite gives an id out again once every row above it is gone. A published row deleted while
// the relay still counts it as waiting for the sweeper (the moment between the sweeper's commit
// and its bookkeeping; here the row is deleted by hand and the sweeper waits an hour), then two
// events committed, the first under the deleted row's id: that one is not taken for the row
// already published. Both are published, in commit order, and the sweeper deletes the rows it
// was handed, each as the event it was.
TEST_F(OutboxRelayTest, ANewRowUnderTheIdOfOneWaitingForTheSweeperIsPublishedInOrder) {
    RelayOptions o;
    o.sweep_delay = std::chrono::hours(1);
    o.idle_poll = std::chrono::hours(1);  // only Wake can start a pass once it is idle
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    Add(0);
    relay.Wake();
    ASSERT_TRUE(test::WaitUntil([&] { return bus_.Published<OrderCancelled>().size() >= 1; }, 5s));
    long long published_id = 0;
    db_->Transaction([&](soci::session& s) {
        s << "SELECT id FROM outbox", soci::into(published_id);
        s << "DELETE FROM outbox";
    });
    Add(1);
    Add(2);
    long long reused_id = 0;
    db_->WithSession(
        [&](soci::session& s) { s << "SELECT min(id) FROM outbox", soci::into(reused_id); });
    ASSERT_EQ(reused_id, published_id);  // the case under test: the id was given out again
    relay.Wake();
    // o2 is the marker: once it is out, o1 went out before it or not at all.
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto ids = PublishedIds(bus_);
            return !ids.empty() && ids.back() == "o2";
        },
        5s));
    EXPECT_EQ(PublishedIds(bus_), (std::vector<std::string>{"o0", "o1", "o2"}));
    relay.Stop();  // the sweeper deletes what it holds
    EXPECT_EQ(Outbox::Backlog(*db_), 0);
    EXPECT_EQ(bus_.Published<OrderCancelled>().size(), 3u);
}

}  // namespace
}  // namespace ticketing::bus

namespace ticketing::bus {
namespace {

// Publishing on commit (issue 20): once the relay found nothing left to publish, a commit's row
// leaves from the committing thread, without a pass of the relay (which here only Wake starts);
// every row is published, in commit order, and deleted.
TEST_F(OutboxRelayTest, OnceCaughtUpACommitsRowsArePublishedFromTheCommittingThread) {
    RelayOptions o;
    o.idle_poll = std::chrono::hours(1);
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    std::vector<std::string> committed;
    ASSERT_TRUE(CommitOneAtATime(
        relay, committed, 0, 50, [&] { return relay.published_on_commit() >= 5; }));
    EXPECT_GE(relay.published_on_commit(), 5u);
    EXPECT_EQ(PublishedIds(bus_), committed);
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
}

// Rows waiting from before (a restart with a backlog): a commit's row never goes out ahead of
// them, even before the relay's first look; the relay publishes everything in commit order, and
// once it is caught up commits publish their rows themselves again.
TEST_F(OutboxRelayTest, ACommitNeverOvertakesRowsTheRelayHasNotPublished) {
    for (int i = 0; i < 5; ++i) {
        Add(i);
    }
    RelayOptions o;
    o.idle_poll = std::chrono::hours(1);
    OutboxRelay relay(*db_, bus_, registry_, o);
    std::vector<std::string> committed = {"o0", "o1", "o2", "o3", "o4", "o5"};
    AddOnCommit(relay, "o5");  // before the relay's first look
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return relay.published() == committed.size(); }, 5s));
    EXPECT_EQ(PublishedIds(bus_), committed);
    EXPECT_EQ(relay.published_on_commit(), 0u);
    ASSERT_TRUE(
        CommitOneAtATime(relay, committed, 6, 50, [&] { return relay.published_on_commit() > 0; }));
    EXPECT_GT(relay.published_on_commit(), 0u);
    EXPECT_EQ(PublishedIds(bus_), committed);
}

// Commits from four threads at once (SQLite groups them): whichever way each row leaves (from
// its commit, or by the relay when a pass was under way), the bus gets them in commit order.
// The order id is a counter bumped inside each transaction, so commit order is its order.
TEST_F(OutboxRelayTest, RowsPublishedOnCommitAndByTheRelayLeaveInCommitOrder) {
    db_->Transaction([](soci::session& tx) {
        tx << "CREATE TABLE counter (n INTEGER NOT NULL)";
        tx << "INSERT INTO counter VALUES (0)";
    });
    RelayOptions o;
    o.idle_poll = 5ms;  // passes of its own meanwhile, which commits must not overtake
    OutboxRelay relay(*db_, bus_, registry_, o);
    relay.Start();
    constexpr int kThreads = 4;
    constexpr int kEach = 100;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                db_->Transaction([&](soci::session& tx) {
                    int n = 0;
                    tx << "UPDATE counter SET n = n + 1";
                    tx << "SELECT n FROM counter", soci::into(n);
                    auto e = MakeEnvelope(
                        OrderCancelled{std::to_string(n), 1, {"t"}}, NewEventId(), {"tp", {}});
                    std::vector<OutboxRow> rows{{Outbox::AddEnvelope(tx, e), e}};
                    db_->AfterCommit(
                        [&relay, rows]() mutable { relay.PublishCommitted(std::move(rows)); });
                });
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    std::vector<std::string> expected;
    for (int n = 1; n <= kThreads * kEach; ++n) {
        expected.push_back(std::to_string(n));
    }
    EXPECT_EQ(FirstSeen(PublishedIds(bus_)), expected);
    EXPECT_GT(relay.published_on_commit(), 0u);  // the path under test was taken
}

// A bus whose asynchronous publish refuses the third envelope it is given (a stream without a
// leader for a moment) and takes everything else; it records every envelope it stored.
class RefusingThirdAsyncBus final : public EventPublisher {
public:
    std::vector<bool> PublishBatch(std::span<const Envelope> batch) override {
        std::lock_guard lock(mu_);
        for (const auto& e : batch) {
            ids_.push_back(events::Decode<OrderCancelled>(e.payload).id);
        }
        return std::vector<bool>(batch.size(), true);
    }
    bool PublishAsync(const Envelope& e, std::function<void(bool)> on_ack) override {
        bool ok = true;
        {
            std::lock_guard lock(mu_);
            ok = ++async_calls_ != 3;
            if (ok) {
                ids_.push_back(events::Decode<OrderCancelled>(e.payload).id);
            }
        }
        on_ack(ok);
        return true;
    }
    std::vector<std::string> Ids() const {
        std::lock_guard lock(mu_);
        return ids_;
    }
    int AsyncCalls() const {
        std::lock_guard lock(mu_);
        return async_calls_;
    }

private:
    mutable std::mutex mu_;
    std::vector<std::string> ids_;
    int async_calls_ = 0;
};

// A row refused on commit goes back to the relay, which publishes it (and whatever came since)
// in order; once caught up again, commits publish their rows themselves again.
TEST_F(OutboxRelayTest, ARowRefusedOnCommitIsPublishedByTheRelayInOrder) {
    RefusingThirdAsyncBus bus;
    RelayOptions o;
    o.idle_poll = std::chrono::hours(1);
    o.min_backoff = 1ms;
    OutboxRelay relay(*db_, bus, registry_, o);
    relay.Start();
    std::vector<std::string> committed;
    ASSERT_TRUE(CommitOneAtATime(relay, committed, 0, 100, [&] { return bus.AsyncCalls() >= 6; }));
    EXPECT_GE(bus.AsyncCalls(), 6);  // published on commit again after the refusal
    EXPECT_EQ(FirstSeen(bus.Ids()), committed);
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 5s));
}

}  // namespace
}  // namespace ticketing::bus

// storage::SqlTransactionRunner on SQLite and PostgreSQL: the unit-of-work port's contract (the
// same suite holds the in-memory runner to it in tests/unit/common/storage), the outbox rows in
// the relay's table and order, and the relay's wake-up after a commit that added events.
#include "common/storage/sql_unit_of_work.hpp"

#include <future>

#include <gtest/gtest.h>

#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"
#include "common/testing/process.hpp"
#include "common/testing/test_database.hpp"
#include "common/testing/unit_of_work_contract.hpp"

namespace ticketing::test {
namespace {

using storage::BasicUnitOfWork;
using storage::Inbox;
using storage::Outbox;

class SqlNoteRepository final : public NoteRepository {
public:
    explicit SqlNoteRepository(soci::session& session) : session_(session) {}
    void Add(const std::string& text) override {
        session_ << "INSERT INTO notes (text) VALUES (:text)", soci::use(text);
    }
    std::vector<std::string> All() override {
        std::vector<std::string> all;
        std::string text;
        soci::statement st =
            (session_.prepare << "SELECT text FROM notes ORDER BY text", soci::into(text));
        st.execute();
        while (st.fetch()) {
            all.push_back(text);
        }
        return all;
    }

private:
    soci::session& session_;
};

class SqlNotesUnitOfWork final : public BasicUnitOfWork<NotesUnitOfWork> {
public:
    SqlNotesUnitOfWork(soci::session& session, Outbox& outbox, Inbox& inbox)
        : BasicUnitOfWork(outbox, inbox), notes_(session) {}
    NoteRepository& notes() override { return notes_; }

private:
    SqlNoteRepository notes_;
};

using SqlNotesTransactions = storage::SqlTransactionRunner<NotesUnitOfWork, SqlNotesUnitOfWork>;

template <bool kPostgres>
struct SqlNotes {
    SqlNotes()
        : db(OpenTestDatabase(kPostgres,
                              dir.Path(),
                              "notes",
                              {{100, "notes", "CREATE TABLE notes (text TEXT PRIMARY KEY)"}})),
          transactions(*db, [this] { ++wakes; }) {}

    NotesTransactions& runner() { return transactions; }

    // The outbox rows, in the order the relay publishes them.
    std::vector<bus::Envelope> Committed() {
        return db->WithSession([](soci::session& s) {
            std::vector<bus::Envelope> rows;
            bus::Envelope e;
            soci::statement st =
                (s.prepare << "SELECT subject, payload, event_id, occurred_at, traceparent "
                              "FROM outbox ORDER BY id",
                 soci::into(e.subject),
                 soci::into(e.payload),
                 soci::into(e.event_id),
                 soci::into(e.occurred_at),
                 soci::into(e.traceparent));
            st.execute();
            while (st.fetch()) {
                rows.push_back(e);
            }
            return rows;
        });
    }

    TempDir dir;
    std::unique_ptr<db::Database> db;
    int wakes = 0;
    SqlNotesTransactions transactions;
};

using Backends = ::testing::Types<SqlNotes<false>, SqlNotes<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sql, UnitOfWorkContract, Backends);

template <class Env>
class SqlTransactionRunnerTest : public ::testing::Test {
protected:
    Env env_;
};
TYPED_TEST_SUITE(SqlTransactionRunnerTest, Backends);

TYPED_TEST(SqlTransactionRunnerTest, WakesTheRelayOnlyAfterACommitThatAddedEvents) {
    auto& runner = this->env_.runner();
    auto event = [](NotesUnitOfWork& uow) {
        uow.outbox().Add(events::OrderCancelled{"o1", 1, {"t"}}, {"", {}});
    };
    runner.Run([](NotesUnitOfWork& uow) { uow.notes().Add("no event"); });
    EXPECT_EQ(this->env_.wakes, 0);
    EXPECT_THROW(runner.Run([&](NotesUnitOfWork& uow) {
        event(uow);
        throw std::runtime_error("rolled back");
    }),
                 std::runtime_error);
    EXPECT_EQ(this->env_.wakes, 0);
    runner.Run(event);
    EXPECT_EQ(this->env_.wakes, 1);

    bus::MessageMeta meta;
    meta.consumer = "c";
    meta.event_id = "e1";
    auto handle = [&](NotesUnitOfWork& uow) {
        event(uow);
        return bus::AckDecision::kRetry;
    };
    EXPECT_EQ(runner.HandleOnce(meta, handle), bus::AckDecision::kRetry);
    EXPECT_EQ(this->env_.wakes, 1);
    auto handled = [&](NotesUnitOfWork& uow) {
        event(uow);
        return bus::AckDecision::kAck;
    };
    EXPECT_EQ(runner.HandleOnce(meta, handled), bus::AckDecision::kAck);
    EXPECT_EQ(this->env_.wakes, 2);
    EXPECT_EQ(runner.HandleOnce(meta, handled), bus::AckDecision::kAck);  // a redelivery
    EXPECT_EQ(this->env_.wakes, 2);
    EXPECT_EQ(bus::Outbox::Backlog(*this->env_.db), 2);
}

// With events_committed (the relay's PublishCommitted): on SQLite a commit that added events
// hands its rows over, as written (ids ascending, the outbox's own), from Run and from RunAsync,
// instead of waking the relay; a rolled-back one hands nothing. PostgreSQL wakes the relay.
TYPED_TEST(SqlTransactionRunnerTest, HandsACommitsRowsOverOnSqliteAndWakesTheRelayOnPostgres) {
    auto& env = this->env_;
    const bool postgres = env.db->kind() == db::Database::Kind::kPostgres;
    std::vector<std::vector<bus::OutboxRow>> handed;
    int wakes = 0;
    SqlNotesTransactions runner(
        *env.db,
        [&] { ++wakes; },
        [&](std::vector<bus::OutboxRow> rows) { handed.push_back(std::move(rows)); });
    auto two_events = [](NotesUnitOfWork& uow) {
        uow.outbox().Add(events::OrderCancelled{"o1", 1, {"t"}}, {"", {}});
        uow.outbox().Add(events::OrderCancelled{"o2", 1, {"t"}}, {"", {}});
    };
    EXPECT_THROW(runner.Run([&](NotesUnitOfWork& uow) {
        two_events(uow);
        throw std::runtime_error("rolled back");
    }),
                 std::runtime_error);
    EXPECT_TRUE(handed.empty());
    EXPECT_EQ(wakes, 0);
    runner.Run(two_events);
    std::promise<std::exception_ptr> answered;
    runner.RunAsync(two_events, [&](std::exception_ptr e) { answered.set_value(e); });
    ASSERT_EQ(answered.get_future().get(), nullptr);
    if (postgres) {
        EXPECT_TRUE(handed.empty());
        EXPECT_EQ(wakes, 2);
        return;
    }
    EXPECT_EQ(wakes, 0);
    ASSERT_EQ(handed.size(), 2u);
    const auto outbox = env.Committed();
    ASSERT_EQ(outbox.size(), 4u);
    long long last_id = 0;
    std::size_t i = 0;
    for (const auto& rows : handed) {
        ASSERT_EQ(rows.size(), 2u);
        for (const auto& row : rows) {
            EXPECT_GT(row.id, last_id);
            last_id = row.id;
            EXPECT_EQ(row.envelope.event_id, outbox[i].event_id);
            EXPECT_EQ(row.envelope.payload, outbox[i].payload);
            ++i;
        }
    }
}

}  // namespace
}  // namespace ticketing::test

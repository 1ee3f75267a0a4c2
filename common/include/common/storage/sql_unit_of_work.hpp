// The SQL implementation of the unit-of-work port (common/storage/unit_of_work.hpp) on a
// db::Database: one unit of work is one database transaction (Database::Transaction), its events
// are rows of the `outbox` table and its inbox records rows of the `inbox` table, in the formats
// of bus::Migrations, written with the transaction's session. After a commit that added events
// the runner calls `events_written` (the outbox relay's Wake), so they are published at once.
//
// A service provides its SQL unit of work, constructible from (soci::session&, Outbox&, Inbox&):
//
//     class SqlTicketsUnitOfWork final : public storage::BasicUnitOfWork<TicketsUnitOfWork> {
//     public:
//         SqlTicketsUnitOfWork(soci::session& s, storage::Outbox& o, storage::Inbox& i)
//             : BasicUnitOfWork(o, i), tickets_(s) {}
//         TicketRepository& tickets() override { return tickets_; }
//     private:
//         SqlTicketRepository tickets_;
//     };
//     using SqlTicketsTransactions =
//         storage::SqlTransactionRunner<TicketsUnitOfWork, SqlTicketsUnitOfWork>;
//
// and main() builds `SqlTicketsTransactions transactions(db, [&] { relay.Wake(); })`, or, to have
// the relay publish a commit's events from the committing thread (SQLite), also passes
// `[&](std::vector<bus::OutboxRow> rows) { relay.PublishCommitted(std::move(rows)); }`: that is
// called through Database::AfterCommit, in commit order, in place of the wake.
// Read() runs on a leased session in autocommit mode (Database::WithSession); its outbox and
// inbox refuse writes. The rules of db/database.hpp hold inside a unit of work: SQL portable
// between SQLite and PostgreSQL, and no SQL error caught and carried on from.
// Thread-safety: the runner is safe from any thread (the Database is); a unit of work and its
// session belong to the one call they are handed to.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/db/database.hpp"
#include "common/storage/unit_of_work.hpp"

namespace soci {
class session;
}

namespace ticketing::storage {

// The outbox of one SQL unit of work. `writable` is false under Read(): Add throws
// std::logic_error there.
class SqlOutbox final : public Outbox {
public:
    // `keep_rows`: remember each row written (its id and event), for TakeRows.
    SqlOutbox(soci::session& session, bool writable, bool keep_rows = false)
        : session_(session), writable_(writable), keep_rows_(keep_rows) {}
    void AddEnvelope(const bus::Envelope& envelope) override;
    // Whether an event was added (the relay is woken after the commit only then).
    bool added() const { return added_; }
    // The rows written, in order (empty unless keep_rows).
    std::vector<bus::OutboxRow> TakeRows() { return std::move(rows_); }

private:
    soci::session& session_;
    bool writable_;
    bool keep_rows_;
    bool added_ = false;
    std::vector<bus::OutboxRow> rows_;
};

// The inbox of one SQL unit of work: `INSERT ... ON CONFLICT DO NOTHING` into `inbox`, so a
// redelivery is told apart by the affected-row count without a failed statement.
class SqlInbox final : public Inbox {
public:
    SqlInbox(soci::session& session, bool writable) : session_(session), writable_(writable) {}
    bool Record(const std::string& consumer, const std::string& event_id) override;

private:
    soci::session& session_;
    bool writable_;
};

// U: the service's UnitOfWork interface; S: its SQL unit of work (see the top of this file).
template <class U, class S>
class SqlTransactionRunner final : public TransactionRunner<U> {
public:
    using EventsCommitted = std::function<void(std::vector<bus::OutboxRow>)>;
    // `events_written` is called after a commit that added events; it may be empty. On SQLite,
    // a non-empty `events_committed` is called instead, with the rows, right after the commit
    // and in commit order (Database::AfterCommit).
    SqlTransactionRunner(db::Database& db,
                         std::function<void()> events_written,
                         EventsCommitted events_committed = {})
        : db_(db),
          events_written_(std::move(events_written)),
          events_committed_(std::move(events_committed)),
          keep_rows_(events_committed_ && db.kind() == db::DatabaseKind::kSqlite) {}

private:
    using Mode = typename TransactionRunner<U>::Mode;

    void Execute(Mode mode, const std::function<void(U&)>& work) override {
        if (mode == Mode::kRead) {
            db_.WithSession([&](soci::session& session) {
                SqlOutbox outbox(session, /*writable=*/false);
                SqlInbox inbox(session, /*writable=*/false);
                S uow(session, outbox, inbox);
                work(uow);
            });
            return;
        }
        bool handed = false;
        const bool events_added = db_.Transaction([&](soci::session& session) {
            SqlOutbox outbox(session, /*writable=*/true, keep_rows_);
            SqlInbox inbox(session, /*writable=*/true);
            S uow(session, outbox, inbox);
            work(uow);
            handed = HandOnCommit(outbox);
            return outbox.added();
        });
        if (events_added && !handed && events_written_) {
            events_written_();
        }
    }

    void ExecuteAsync(std::function<void(U&)> work,
                      std::function<void(std::exception_ptr)> done) override {
        // Whether the commit still has to wake the relay: events were added and not handed to
        // events_committed.
        auto events_added = std::make_shared<bool>(false);
        db_.TransactionAsync(
            [this, work = std::move(work), events_added](soci::session& session) {
                SqlOutbox outbox(session, /*writable=*/true, keep_rows_);
                SqlInbox inbox(session, /*writable=*/true);
                S uow(session, outbox, inbox);
                work(uow);
                *events_added = !HandOnCommit(outbox) && outbox.added();
            },
            [this, events_added, done = std::move(done)](std::exception_ptr error) {
                if (!error && *events_added && events_written_) {
                    events_written_();
                }
                done(std::move(error));
            });
    }

    // Inside the transaction: has events_committed called with the rows once it commits.
    bool HandOnCommit(SqlOutbox& outbox) {
        if (!keep_rows_ || !outbox.added()) {
            return false;
        }
        return db_.AfterCommit(
            [this, rows = outbox.TakeRows()]() mutable { events_committed_(std::move(rows)); });
    }

    db::Database& db_;
    std::function<void()> events_written_;
    EventsCommitted events_committed_;
    bool keep_rows_;
};

}  // namespace ticketing::storage

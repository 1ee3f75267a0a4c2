// The transactional outbox (DESIGN.md section 5). A state change and the events it causes are
// written in one database transaction: Outbox::Add inserts one `outbox` row per event with the
// caller's session. OutboxRelay, a thread in the same process, publishes the rows in id order
// through an EventPublisher (async, in batches), has the rows JetStream acknowledged up to the
// first it did not deleted (by a second thread, the sweeper, so that the next batch is not held
// up by the delete's transaction: the relay skips a row acknowledged and not yet deleted, and a
// crash in between publishes it again, which the stream drops), and retries with backoff while
// the bus is down: the next pass resumes
// from that first unacknowledged row and goes one row at a time until it is past every row that
// was in flight, so no row is published again ahead of an earlier one. (Rows of the failed batch
// after the refused one may already be in the stream: with pipelined publishing that window is
// unavoidable; it is at most one batch, and only when the server refuses a row and takes later
// ones, e.g. during a cluster leader change.) A crash can delay an event but never lose it; a
// re-publish is dropped by the stream's duplicate window (Nats-Msg-Id).
// On SQLite a commit's rows may instead leave from the committing thread (PublishCommitted,
// through Database::AfterCommit, in commit order) while the relay is caught up; their acks hand
// them to the same sweeper, and a refusal gives them back to the relay.
// With PostgreSQL shared by several replicas, one relay at a time owns the outbox through an
// advisory lock, taken over when its holder's connection dies and re-checked before each batch,
// so a relay whose lock session died stops before another one starts.
// The relay that owns the outbox also keeps the inbox bounded: rows older than the retention are
// deleted a batch at a time (and so are the rows of any table a service registers the same way,
// such as tickets' cancelled_orders).
// The tables come from bus::Migrations (versions below 100 are common's; services number theirs
// from 100 and pass both lists to db::RunMigrations).
// Thread-safety: Add runs on the caller's thread inside its transaction. The relay is one
// thread; Wake and PublishCommitted may be called from any thread (PublishCommitted in commit
// order, which Database::AfterCommit gives).
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/db/migrations.hpp"
#include "common/db/notifications.hpp"

namespace soci {
class session;
}
namespace ticketing::db {
class Database;
}
namespace ticketing::metrics {
class Registry;
class Counter;
}  // namespace ticketing::metrics

namespace ticketing::bus {

class EventPublisher;

// The outbox and inbox tables, in the SQL of the given backend.
std::vector<db::Migration> Migrations(bool postgres);
// The common migrations followed by a service's own (whose versions must be >= 100).
std::vector<db::Migration> WithBusMigrations(bool postgres, const std::vector<db::Migration>& own);

class Outbox final {
public:
    // Writes the event to the outbox in the caller's open transaction `tx`.
    template <events::EventType E>
    static void Add(soci::session& tx, const E& event, const EventContext& ctx) {
        AddEnvelope(tx, MakeEnvelope(event, NewEventId(), ctx));
    }
    // Returns the row's id on SQLite (0 on PostgreSQL, where it is not read back).
    static long long AddEnvelope(soci::session& tx, const Envelope& envelope);

    // Rows not yet published (or published and not yet deleted: up to RelayOptions::sweep_delay
    // after their ack).
    static std::int64_t Backlog(db::Database& db);
    // How long the oldest row not yet published has waited (its occurred_at to `now`); zero
    // when the outbox is empty.
    static std::chrono::milliseconds OldestAge(db::Database& db, util::TimePoint now);
};

// A table pruned like the inbox: rows whose `stamped_at` (milliseconds since the epoch; 0 means
// unknown, kept) is older than the retention, identified by `key` (one or more columns).
// Identifiers are code constants, never input.
struct RetentionRule {
    std::string table;
    std::string key;
    std::string stamped_at;
};

// The inbox's rule.
RetentionRule InboxRetention();

// Deletes up to `limit` rows of `rule` stamped before `cutoff`; returns how many.
std::int64_t PruneBatch(db::Database& db,
                        const RetentionRule& rule,
                        std::chrono::system_clock::time_point cutoff,
                        std::size_t limit);

struct RelayOptions {
    std::size_t batch_size = 512;
    // How often an idle relay looks for rows written without a Wake().
    std::chrono::milliseconds idle_poll{std::chrono::milliseconds(50)};
    // The sweeper deletes acknowledged rows at most this long after the first of them was
    // handed to it (at once when batch_size rows wait): one DELETE transaction for the rows of many
    // batches, instead of one per batch, while events come one at a time (issue 20). Until
    // then they stay, skipped by the relay; a crash in between publishes them again, which the
    // stream's duplicate window drops. Zero: every handed batch is deleted at once.
    std::chrono::milliseconds sweep_delay{std::chrono::milliseconds(20)};
    std::chrono::milliseconds min_backoff{std::chrono::milliseconds(100)};
    std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
    // PostgreSQL advisory lock key that elects the one relay per database.
    std::int64_t advisory_lock_key = 0x7469636b6574;  // "ticket"
    // Inbox rows older than this are deleted (INBOX_RETENTION_SECONDS; why 7 days is safe:
    // README, "Decisions"). Pruning runs every `prune_every`, at most `prune_batches` batches of
    // `prune_batch` rows a time, so it never holds the database or the relay for long.
    std::chrono::seconds inbox_retention{std::chrono::hours(24 * 7)};
    std::chrono::milliseconds prune_every{std::chrono::seconds(60)};
    std::size_t prune_batch = 1000;
    int prune_batches = 10;
    // The service's own tables pruned the same way (tickets: cancelled_orders).
    std::vector<RetentionRule> also_prune;
    // SQLite: PublishCommitted publishes a commit's rows itself, from the committing thread,
    // while the relay has nothing else to publish (see PublishCommitted), for commits of at most
    // `publish_on_commit_rows` rows and while at most `publish_on_commit_in_flight` such rows
    // await their ack; a row unacknowledged after `publish_on_commit_ack_timeout` counts as
    // refused. Off: every commit wakes the relay.
    bool publish_on_commit = true;
    std::size_t publish_on_commit_rows = 16;
    std::size_t publish_on_commit_in_flight = 256;
    std::chrono::milliseconds publish_on_commit_ack_timeout{std::chrono::seconds(5)};
};

class OutboxRelay final {
public:
    OutboxRelay(db::Database& db,
                EventPublisher& publisher,
                metrics::Registry& metrics,
                RelayOptions options = {});
    ~OutboxRelay();  // Stop()
    OutboxRelay(const OutboxRelay&) = delete;
    OutboxRelay& operator=(const OutboxRelay&) = delete;

    void Start();
    // Finishes the batch in progress, then joins the thread.
    void Stop();
    // Call after committing a transaction that added events: the relay looks at once. On
    // PostgreSQL, a relay that does not hold the outbox passes the wake on to the one that does
    // (NOTIFY on OutboxChannel, which that relay LISTENs on), so a row committed by any replica
    // is published at once, not at the leader's next idle look.
    void Wake();

    // SQLite (Database::AfterCommit, through SqlTransactionRunner's events_committed): called
    // right after a commit, on the committing thread and in commit order, with the rows it
    // wrote. While the relay's last look found every earlier row published (or in flight) and
    // nothing has failed since, the rows are published from here, without waiting for their
    // acks, which hand them to the sweeper as the relay's own would: the event leaves without
    // the relay's wake-up and read of the outbox (issue 20). Otherwise (the relay busy or
    // behind, a refusal, too many rows) this is Wake(), and the relay publishes them in order.
    // Never blocks on the relay: a relay pass in progress is the otherwise case.
    void PublishCommitted(std::vector<OutboxRow> rows);

    // Rows published since start (for tests and the status command).
    std::uint64_t published() const { return published_.load(); }
    // Of those, rows PublishCommitted published (for tests).
    std::uint64_t published_on_commit() const { return published_on_commit_.load(); }
    // True while this relay holds the outbox (always true on SQLite).
    bool IsLeader() const { return leader_.load(); }
    // PostgreSQL: true while this relay listens for the other replicas' wakes (for tests).
    bool ListeningForReplicas() const { return listener_ && listener_->listening(); }
    // The channel the replicas of one database wake their leader on (from advisory_lock_key).
    static std::string OutboxChannel(std::int64_t advisory_lock_key);

private:
    void Run();
    // One pass: publish up to batch_size rows (one after a failure); returns whether to pass
    // again at once: when it found as many as it asked for, and with publish_on_commit after any
    // publishing, so that the relay stops only after a pass that found nothing, which lets
    // commits publish their rows again (unless the sweeper is behind: then false).
    bool PublishOnce();
    // Deletes what is past the retention, when prune_every has passed since the last time.
    void PruneIfDue();
    void Pause(std::chrono::milliseconds d);
    // A notification from another replica: wakes this relay only while it leads.
    void WakeFromReplica();
    // Whether Wake() was called since the last call (a commit of this replica's).
    bool TakeLocalWake();
    // The sweeper's thread: deletes what sweep_ holds, in one transaction a time, and keeps what
    // it could not delete for the next try.
    void Sweep();
    // A published row for the sweeper to delete. SQLite gives an id out again once every row
    // above it is gone, so a row is told by its id and its event id together: a row read with
    // the id of one handed over and another event id is a new row, not yet published.
    struct Handed {
        long long id = 0;
        std::string event_id;
        auto operator<=>(const Handed&) const = default;
    };
    // Hands acknowledged rows to the sweeper; false if it already holds options_.batch_size * 8
    // (the database refuses its deletes): the relay then waits instead of publishing more.
    bool HandToSweeper(std::vector<Handed> rows);

    // PublishCommitted's rows awaiting their ack, shared with the ack callbacks (which may run
    // after the relay is gone: `relay` is null from Stop on).
    struct OnCommit;
    // A relay pass, under publish_mu_: takes in what PublishCommitted's rows came to (a refusal
    // or a timeout ends publishing on commit until a pass finds nothing left), and returns the
    // rows still in flight (ascending), which the pass skips.
    std::vector<Handed> SettleOnCommit();
    void OnCommitAck(long long id, const std::string& event_id, bool ok);

    db::Database& db_;
    EventPublisher& publisher_;
    RelayOptions options_;
    metrics::Counter& published_counter_;
    metrics::Counter& failures_counter_;
    metrics::Counter& pruned_counter_;
    metrics::Counter& elections_counter_;
    metrics::Counter& sweeps_counter_;
    // Highest outbox id that was in flight when a publish failed; 0 when none is pending.
    long long careful_until_ = 0;
    std::chrono::steady_clock::time_point next_prune_{};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> published_on_commit_{0};
    // Held by a relay pass, and by PublishCommitted while it publishes (which only tries it).
    std::mutex publish_mu_;
    // Under publish_mu_: the last pass found no row left to publish, so a commit's rows are the
    // next ones in line.
    bool on_commit_ok_ = false;
    // A commit's rows were left to the relay since the last pass began: on_commit_ok_ does not
    // hold until a pass has looked.
    std::atomic<bool> missed_{false};
    std::shared_ptr<OnCommit> on_commit_;
    std::atomic<bool> leader_{false};

    std::mutex mu_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool local_wake_ = false;  // set by Wake(), not by WakeFromReplica()
    bool stopping_ = false;
    std::thread thread_;
    // PostgreSQL: the LISTEN on OutboxChannel (from Start() to Stop()).
    std::string channel_;
    std::unique_ptr<db::NotificationListener> listener_;

    // Acknowledged rows not yet deleted (ascending), and whether the sweeper is to end.
    std::mutex sweep_mu_;
    std::condition_variable sweep_cv_;
    std::vector<Handed> sweep_;
    bool sweep_stopping_ = false;
    std::thread sweeper_;
};

}  // namespace ticketing::bus

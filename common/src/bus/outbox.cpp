#include "common/bus/outbox.hpp"

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>
#include <utility>

#include "common/bus/publisher.hpp"
#include "common/db/sql.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"

namespace ticketing::bus {
namespace {

// The backends differ in how an id counts up, and SQLite stores the inbox best as one B-tree
// (WITHOUT ROWID): every handled event inserts a row, so its cost is the consumer's cost.
// The event id needs no UNIQUE index of its own: ids are unique (NewEventId: a millisecond
// stamp and 80 random bits), and the stream's duplicate window is what drops a second publish.
constexpr std::string_view kOutboxSqlite = R"(
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    traceparent TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);)";

constexpr std::string_view kOutboxPostgres = R"(
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    traceparent TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);)";

// SQLite: the outbox's id without AUTOINCREMENT (the rows are copied over). AUTOINCREMENT read
// and rewrote sqlite_sequence on every insert and added its page to every commit that wrote an
// event: 5-9 us per transaction (issue 20). A plain INTEGER PRIMARY KEY is one more than the
// highest id in the table, so ids still rise in commit order among the rows waiting; an id is
// used again only once every row above it is gone (published and deleted), and nothing keeps
// an id after its row is deleted (events are told apart by event_id).
constexpr std::string_view kOutboxRowidSqlite = R"(
CREATE TABLE outbox_rowid (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    traceparent TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
INSERT INTO outbox_rowid (id, event_id, subject, payload, traceparent, occurred_at)
    SELECT id, event_id, subject, payload, traceparent, occurred_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rowid RENAME TO outbox;)";
constexpr std::string_view kInboxSqlite = R"(
CREATE TABLE inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;)";

constexpr std::string_view kInboxPostgres = R"(
CREATE TABLE inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);)";

// PostgreSQL: whether the lease's session, the one that took the outbox's advisory lock, still
// holds it. A session-level advisory lock lasts as long as its session (the relay unlocks it only
// when it stops), so a session that still answers still holds the lock, and one that died (a
// PostgreSQL restart, a terminated backend) took the lock with it. `SELECT 1` asks exactly that;
// the look into pg_locks it replaces cost the server 0.6-1.2 ms (parse, plan, scan of the lock
// table) before every batch of every relay (issue 20).
bool LockSessionAlive(db::Database::Lease& lease) {
    int one = 0;
    try {
        lease.session() << "SELECT 1", soci::into(one);
    } catch (const std::exception&) {
        return false;
    }
    return one == 1;
}

struct Row {
    long long id = 0;
    Envelope envelope;
};

}  // namespace

std::vector<db::Migration> Migrations(bool postgres) {
    std::vector<db::Migration> all = {
        {1, "outbox", postgres ? kOutboxPostgres : kOutboxSqlite},
        {2, "inbox", postgres ? kInboxPostgres : kInboxSqlite},
        // What each `replay` run rebuilt, up to which stream sequence (service/replay.hpp).
        {3,
         "replay_runs",
         "CREATE TABLE replay_runs (finished_at BIGINT NOT NULL, last_sequence BIGINT NOT NULL, "
         "events_read BIGINT NOT NULL, applied BIGINT NOT NULL, skipped BIGINT NOT NULL)"},
        // The relay prunes the inbox by age (RelayOptions::inbox_retention).
        {4, "inbox_handled_at", "CREATE INDEX inbox_handled_at ON inbox (handled_at)"},
    };
    if (!postgres) {
        all.push_back({5, "outbox_without_autoincrement", kOutboxRowidSqlite});
    }
    return all;
}

std::vector<db::Migration> WithBusMigrations(bool postgres, const std::vector<db::Migration>& own) {
    auto all = Migrations(postgres);
    for (const auto& m : own) {
        if (m.version < 100) {
            throw std::invalid_argument("service migration versions start at 100 (" +
                                        std::string(m.name) + ")");
        }
        all.push_back(m);
    }
    return all;
}

long long Outbox::AddEnvelope(soci::session& tx, const Envelope& e) {
    // Nothing reads its answer: on PostgreSQL it goes with the transaction's next statement or
    // its COMMIT, one round trip fewer for every transaction that emits an event (issue 20).
    db::SendWithNextStatement(tx);
    tx << "INSERT INTO outbox (event_id, subject, payload, traceparent, occurred_at) "
          "VALUES (:event_id, :subject, :payload, :traceparent, :occurred_at)",
        soci::use(e.event_id), soci::use(e.subject), soci::use(e.payload), soci::use(e.traceparent),
        soci::use(e.occurred_at);
    long long id = 0;
    if (tx.get_backend_name() == "sqlite3") {
        tx.get_last_insert_id("outbox", id);  // sqlite3_last_insert_rowid: no statement
    }
    return id;
}

RetentionRule InboxRetention() {
    return {"inbox", "consumer, event_id", "handled_at"};
}

std::int64_t PruneBatch(db::Database& db,
                        const RetentionRule& rule,
                        std::chrono::system_clock::time_point cutoff,
                        std::size_t limit) {
    const long long cutoff_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
    const long long n = static_cast<long long>(limit);
    // A row-value IN works on both backends (SQLite since 3.15) and on tables without a rowid.
    const std::string sql = "DELETE FROM " + rule.table + " WHERE (" + rule.key + ") IN (SELECT " +
                            rule.key + " FROM " + rule.table + " WHERE " + rule.stamped_at +
                            " > 0 AND " + rule.stamped_at + " < :cutoff LIMIT :n)";
    return db.Transaction([&](soci::session& s) {
        soci::statement st = (s.prepare << sql, soci::use(cutoff_ms), soci::use(n));
        st.execute(true);
        return static_cast<std::int64_t>(st.get_affected_rows());
    });
}

std::int64_t Outbox::Backlog(db::Database& db) {
    return db.WithSession([](soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM outbox", soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

std::chrono::milliseconds Outbox::OldestAge(db::Database& db, util::TimePoint now) {
    auto oldest = db.WithSession([](soci::session& s) -> std::optional<std::string> {
        std::string occurred_at;
        s << "SELECT occurred_at FROM outbox ORDER BY id LIMIT 1", soci::into(occurred_at);
        if (!s.got_data()) {
            return std::nullopt;
        }
        return occurred_at;
    });
    if (!oldest) {
        return std::chrono::milliseconds(0);
    }
    auto at = util::ParseIso8601(*oldest);
    if (!at || *at >= now) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - *at);
}

struct OutboxRelay::OnCommit {
    struct Row {
        long long id = 0;
        std::string event_id;
        std::chrono::steady_clock::time_point sent;
        bool acked = false;
    };
    std::mutex mu;
    OutboxRelay* relay = nullptr;  // null while the relay is stopped: acks are then ignored
    std::deque<Row> in_flight;     // in publish order, which is id order
    bool failed = false;           // a refusal or a timeout since the last pass took it in
    long long failed_up_to = 0;    // the highest id that was in flight then
};

OutboxRelay::OutboxRelay(db::Database& db,
                         EventPublisher& publisher,
                         metrics::Registry& metrics,
                         RelayOptions options)
    : db_(db),
      publisher_(publisher),
      options_(options),
      published_counter_(metrics
                             .AddCounter("outbox_published_total",
                                         "Outbox rows published (acknowledged by JetStream)")
                             .With()),
      failures_counter_(metrics
                            .AddCounter("outbox_publish_failures_total",
                                        "Relay passes that could not publish everything")
                            .With()),
      pruned_counter_(metrics
                          .AddCounter("retention_pruned_rows_total",
                                      "Inbox (and like) rows deleted past their retention")
                          .With()),
      elections_counter_(metrics
                             .AddCounter("outbox_relay_leads_total",
                                         "Times this relay took the outbox's advisory lock")
                             .With()),
      sweeps_counter_(
          metrics
              .AddCounter("outbox_sweeps_total", "Transactions that deleted published outbox rows")
              .With()),
      on_commit_(std::make_shared<OnCommit>()) {
    metrics.AddCallbackGauge("outbox_backlog", "Outbox rows waiting to be published", [&db] {
        try {
            return static_cast<double>(Outbox::Backlog(db));
        } catch (const std::exception&) {
            return -1.0;
        }
    });
    metrics.AddCallbackGauge(
        "outbox_oldest_age_seconds",
        "How long the oldest outbox row not yet published has waited (0: empty)",
        [&db] {
            try {
                return std::chrono::duration<double>(
                           Outbox::OldestAge(db, std::chrono::system_clock::now()))
                    .count();
            } catch (const std::exception&) {
                return -1.0;
            }
        });
}

OutboxRelay::~OutboxRelay() {
    Stop();
}

void OutboxRelay::Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    // The first pruning a round after the start, not while a (re)started service catches up.
    next_prune_ = std::chrono::steady_clock::now() + options_.prune_every;
    {
        std::lock_guard sweep_lock(sweep_mu_);
        sweep_stopping_ = false;
    }
    if (db_.kind() == db::Database::Kind::kPostgres) {
        // Before the relay's thread, which reads channel_.
        channel_ = OutboxChannel(options_.advisory_lock_key);
        listener_ = std::make_unique<db::NotificationListener>(db_, channel_,
                                                               [this] { WakeFromReplica(); });
    }
    {
        std::lock_guard on_commit_lock(on_commit_->mu);
        on_commit_->relay = this;
    }
    sweeper_ = std::thread([this] { Sweep(); });
    thread_ = std::thread([this] { Run(); });
}

std::string OutboxRelay::OutboxChannel(std::int64_t advisory_lock_key) {
    // An identifier (LISTEN takes no parameter): letters, digits and an underscore only.
    return "ticketing_outbox_" + std::to_string(static_cast<std::uint64_t>(advisory_lock_key));
}

void OutboxRelay::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    listener_.reset();
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    {
        // Commits from here on wake a relay that is not there; their rows wait for the next
        // start, as do the rows still in flight (published again then, and dropped as copies).
        std::lock_guard pub(publish_mu_);
        on_commit_ok_ = false;
        std::lock_guard on_commit_lock(on_commit_->mu);
        on_commit_->relay = nullptr;
        on_commit_->in_flight.clear();
    }
    // The relay hands nothing more: the sweeper deletes what it holds (one try) and ends.
    {
        std::lock_guard lock(sweep_mu_);
        sweep_stopping_ = true;
    }
    sweep_cv_.notify_all();
    if (sweeper_.joinable()) {
        sweeper_.join();
    }
}

bool OutboxRelay::HandToSweeper(std::vector<Handed> rows) {
    bool wake = false;
    bool keeps_up = true;
    {
        std::lock_guard lock(sweep_mu_);
        // The sweeper waits for its first row, then for a full batch or its delay: only those
        // two are worth waking it for (each wake is a thread switch per published batch).
        const bool was_empty = sweep_.empty();
        // Ascending (a PostgreSQL row may commit after a higher id was published): the relay
        // looks rows up by binary search. The rows come in ascending and above what is held
        // almost always (each acknowledgement on commit hands one row): merged, not sorted
        // again (sorting up to a full batch per acknowledgement had been 4% of orders' CPU
        // under POST /api/orders, perf, issue 20).
        if (!std::is_sorted(rows.begin(), rows.end())) {
            std::sort(rows.begin(), rows.end());
        }
        const auto held = static_cast<std::ptrdiff_t>(sweep_.size());
        sweep_.insert(sweep_.end(), std::make_move_iterator(rows.begin()),
                      std::make_move_iterator(rows.end()));
        const auto mid = sweep_.begin() + held;
        if (held > 0 && mid != sweep_.end() && *mid < *(mid - 1)) {
            std::inplace_merge(sweep_.begin(), mid, sweep_.end());
        }
        wake = was_empty || sweep_.size() >= options_.batch_size;
        keeps_up = sweep_.size() < options_.batch_size * 8;
    }
    if (wake) {
        sweep_cv_.notify_one();
    }
    return keeps_up;
}

namespace {

// SQLite: the rows bound as a bulk, one prepared statement run per row in one transaction (in
// process, cheap), each row by its id and its event id (an id can be given out again once the
// rows above it are gone: a row that came since under a deleted row's id is not touched).
// PostgreSQL (a sequence never gives an id twice): SOCI runs a bulk `use` once per element, a
// round trip each, plus BEGIN and COMMIT (pg_stat_statements under POST /api/tickets: one DELETE
// call per published event, issue 20); one statement with the ids as an array is one round
// trip, and on its own is atomic.
template <typename HandedRow>  // OutboxRelay::Handed (private to it)
void DeleteRows(db::Database& db, const std::vector<HandedRow>& rows) {
    if (db.kind() != db::Database::Kind::kPostgres) {
        std::vector<long long> ids;
        std::vector<std::string> event_ids;
        ids.reserve(rows.size());
        event_ids.reserve(rows.size());
        for (const auto& r : rows) {
            ids.push_back(r.id);
            event_ids.push_back(r.event_id);
        }
        db.Transaction([&](soci::session& s) {
            s << "DELETE FROM outbox WHERE id = :id AND event_id = :event_id", soci::use(ids),
                soci::use(event_ids);
        });
        return;
    }
    std::string array = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) {
            array += ',';
        }
        array += std::to_string(rows[i].id);
    }
    array += '}';
    db.WithSession([&](soci::session& s) {
        s << "DELETE FROM outbox WHERE id = ANY(CAST(:ids AS BIGINT[]))", soci::use(array);
    });
}

}  // namespace

void OutboxRelay::Sweep() {
    auto backoff = options_.min_backoff;
    bool failing = false;
    std::unique_lock lock(sweep_mu_);
    for (;;) {
        sweep_cv_.wait(lock, [this] { return sweep_stopping_ || !sweep_.empty(); });
        if (sweep_.empty()) {
            return;  // stopping, nothing left
        }
        // Let the acknowledgements of the next few batches join this delete.
        sweep_cv_.wait_for(lock, options_.sweep_delay, [this] {
            return sweep_stopping_ || sweep_.size() >= options_.batch_size;
        });
        const bool last = sweep_stopping_;
        std::vector<Handed> ids = sweep_;
        lock.unlock();
        bool deleted = false;
        try {
            DeleteRows(db_, ids);
            deleted = true;
            sweeps_counter_.Inc();
            if (failing) {
                log::Info("outbox sweeper deleting again");
                failing = false;
            }
            backoff = options_.min_backoff;
        } catch (const std::exception& e) {
            // The rows stay (published: a restart publishes them again and the stream drops
            // the copies); the relay goes on skipping them.
            if (!failing) {
                log::Warn("outbox sweeper cannot delete published rows, retrying with backoff",
                          {{"rows", static_cast<std::int64_t>(ids.size())}, {"error", e.what()}});
                failing = true;
            }
        }
        lock.lock();
        if (deleted) {
            // What was handed meanwhile stays; `ids` is a sorted subset of sweep_.
            std::vector<Handed> rest;
            rest.reserve(sweep_.size() - ids.size());
            std::set_difference(sweep_.begin(), sweep_.end(), ids.begin(), ids.end(),
                                std::back_inserter(rest));
            sweep_.swap(rest);
        }
        if (last) {
            return;
        }
        if (!deleted) {
            sweep_cv_.wait_for(lock, backoff, [this] { return sweep_stopping_; });
            backoff = std::min(backoff * 2, options_.max_backoff);
        }
    }
}

void OutboxRelay::Wake() {
    {
        std::lock_guard lock(mu_);
        woken_ = true;
        local_wake_ = true;
    }
    cv_.notify_all();
}

void OutboxRelay::WakeFromReplica() {
    if (!leader_.load()) {
        return;  // a relay that does not lead passes on only its own replica's wakes
    }
    {
        std::lock_guard lock(mu_);
        woken_ = true;
    }
    cv_.notify_all();
}

bool OutboxRelay::TakeLocalWake() {
    std::lock_guard lock(mu_);
    return std::exchange(local_wake_, false);
}

void OutboxRelay::Pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, d, [this] { return stopping_ || woken_; });
    woken_ = false;
}

void OutboxRelay::PublishCommitted(std::vector<OutboxRow> rows) {
    if (rows.empty()) {
        return;
    }
    // Never waits for the relay: a pass in progress (holding publish_mu_) may be about to read
    // past these rows, or may have read before they committed; either way they are the relay's.
    std::unique_lock pub(publish_mu_, std::try_to_lock);
    const bool mine = pub.owns_lock() && on_commit_ok_ && !missed_.load() &&
                      rows.size() <= options_.publish_on_commit_rows;
    std::shared_ptr<OnCommit> state = on_commit_;
    bool admitted = false;
    if (mine) {
        std::lock_guard lock(state->mu);
        if (!state->failed &&
            state->in_flight.size() + rows.size() <= options_.publish_on_commit_in_flight) {
            const auto now = std::chrono::steady_clock::now();
            for (const auto& r : rows) {
                state->in_flight.push_back({r.id, r.envelope.event_id, now, false});
            }
            admitted = true;
        }
    }
    if (!admitted) {
        // The relay publishes them (and every later commit's, until a pass finds it caught up).
        missed_.store(true);
        if (pub.owns_lock()) {
            pub.unlock();
        }
        Wake();
        return;
    }
    for (const auto& r : rows) {
        auto on_ack = [state, id = r.id, event_id = r.envelope.event_id](bool ok) {
            std::lock_guard lock(state->mu);
            if (state->relay != nullptr) {
                state->relay->OnCommitAck(id, event_id, ok);
            }
        };
        if (!publisher_.PublishAsync(r.envelope, std::move(on_ack))) {
            // Not even sent (the connection is down): this row and the rest go to the relay,
            // which starts again from the first row not acknowledged.
            std::lock_guard lock(state->mu);
            if (state->relay != nullptr) {
                OnCommitAck(r.id, r.envelope.event_id, false);
            }
            missed_.store(true);
            return;
        }
    }
}

// Runs under on_commit_->mu (the ack callback's, PublishCommitted's or SettleOnCommit's).
void OutboxRelay::OnCommitAck(long long id, const std::string& event_id, bool ok) {
    OnCommit& st = *on_commit_;
    auto it = std::find_if(st.in_flight.begin(), st.in_flight.end(), [&](const OnCommit::Row& r) {
        return r.id == id && r.event_id == event_id;
    });
    if (it == st.in_flight.end()) {
        return;  // given up on already: the relay publishes it again
    }
    if (!ok) {
        // Everything in flight goes back to the relay, which resumes from the first of it one
        // row at a time until past the last (as after a failed batch of its own).
        st.failed = true;
        st.failed_up_to = std::max(st.failed_up_to, st.in_flight.back().id);
        st.in_flight.clear();
        failures_counter_.Inc();
        Wake();
        return;
    }
    it->acked = true;
    // Only the acknowledged prefix is done, as in PublishOnce: the relay's read of the outbox
    // relies on every row below a handed one being handed too.
    std::vector<Handed> done;
    while (!st.in_flight.empty() && st.in_flight.front().acked) {
        done.push_back({st.in_flight.front().id, std::move(st.in_flight.front().event_id)});
        st.in_flight.pop_front();
    }
    if (!done.empty()) {
        published_ += done.size();
        published_on_commit_ += done.size();
        published_counter_.Inc(static_cast<double>(done.size()));
        HandToSweeper(std::move(done));
    }
}

std::vector<OutboxRelay::Handed> OutboxRelay::SettleOnCommit() {
    OnCommit& st = *on_commit_;
    std::lock_guard lock(st.mu);
    if (!st.in_flight.empty() && std::chrono::steady_clock::now() - st.in_flight.front().sent >
                                     options_.publish_on_commit_ack_timeout) {
        log::Warn(
            "outbox: an event published on commit was not acknowledged in time; the relay "
            "publishes it again",
            {{"event_id", st.in_flight.front().event_id}});
        const OnCommit::Row& first = st.in_flight.front();
        OnCommitAck(first.id, first.event_id, false);
    }
    if (st.failed) {
        careful_until_ = std::max(careful_until_, st.failed_up_to);
        st.failed = false;
        st.failed_up_to = 0;
    }
    std::vector<Handed> in_flight;
    in_flight.reserve(st.in_flight.size());
    for (const auto& r : st.in_flight) {
        in_flight.push_back({r.id, r.event_id});
    }
    return in_flight;
}

void OutboxRelay::Run() {
    const bool postgres = db_.kind() == db::Database::Kind::kPostgres;
    std::optional<db::Database::Lease> lock_holder;
    auto backoff = options_.min_backoff;
    bool failing = false;
    auto next_election = std::chrono::steady_clock::time_point::min();
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (stopping_) {
                break;
            }
        }
        try {
            if (postgres && !leader_.load()) {
                // One relay per database: the lock lives as long as this session does, so a
                // relay that dies hands the outbox over with its connection. A relay that does
                // not lead tries for it once a second; between tries, each of its replica's
                // commits is passed on to the leader.
                const auto now = std::chrono::steady_clock::now();
                int got = 0;
                if (now >= next_election) {
                    next_election = now + std::chrono::seconds(1);
                    lock_holder.reset();
                    lock_holder.emplace(db_.Acquire());
                    lock_holder->session()
                        << "SELECT CASE WHEN pg_try_advisory_lock(:k) THEN 1 ELSE 0 END",
                        soci::use(static_cast<long long>(options_.advisory_lock_key)),
                        soci::into(got);
                }
                if (got != 1) {
                    lock_holder.reset();
                    if (TakeLocalWake()) {
                        // This replica committed rows the leader publishes: wake it. Wakes that
                        // came while this pass ran are passed on by the next one, together.
                        db_.WithSession([this](soci::session& s) { db::Notify(s, channel_); });
                    }
                    Pause(std::chrono::duration_cast<std::chrono::milliseconds>(
                        next_election - std::chrono::steady_clock::now()));
                    continue;
                }
                leader_.store(true);
                elections_counter_.Inc();
                log::Info("outbox relay took the lead");
            } else if (!postgres) {
                leader_.store(true);
            } else if (!LockSessionAlive(*lock_holder)) {
                // The lock's session died (a PostgreSQL restart, a terminated backend): another
                // relay may hold the outbox now. Publishing on regardless would interleave.
                log::Warn("outbox relay lost the lead");
                lock_holder->MarkBroken();
                lock_holder.reset();
                leader_.store(false);
                continue;
            }
            bool more = PublishOnce();
            PruneIfDue();
            if (failing) {
                log::Info("outbox relay publishing again");
                failing = false;
            }
            backoff = options_.min_backoff;
            if (!more) {
                Pause(options_.idle_poll);
            }
        } catch (const std::exception& e) {
            failures_counter_.Inc();
            if (!failing) {
                log::Warn("outbox relay cannot publish, retrying with backoff",
                          {{"error", e.what()}});
                failing = true;
            }
            if (postgres && lock_holder) {
                // The lock's session may be the thing that broke: re-elect.
                try {
                    int alive = 0;
                    lock_holder->session() << "SELECT 1", soci::into(alive);
                } catch (const std::exception&) {
                    lock_holder->MarkBroken();
                    lock_holder.reset();
                    leader_.store(false);
                }
            }
            Pause(backoff);
            backoff = std::min(backoff * 2, options_.max_backoff);
        }
    }
    if (lock_holder) {
        try {
            lock_holder->session() << "SELECT pg_advisory_unlock(:k)",
                soci::use(static_cast<long long>(options_.advisory_lock_key));
        } catch (const std::exception&) {
            lock_holder->MarkBroken();
        }
    }
    leader_.store(false);
}

void OutboxRelay::PruneIfDue() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_prune_) {
        return;
    }
    next_prune_ = now + options_.prune_every;
    auto cutoff = std::chrono::system_clock::now() - options_.inbox_retention;
    std::vector<RetentionRule> rules = {InboxRetention()};
    rules.insert(rules.end(), options_.also_prune.begin(), options_.also_prune.end());
    for (const auto& rule : rules) {
        try {
            for (int i = 0; i < options_.prune_batches; ++i) {
                auto n = PruneBatch(db_, rule, cutoff, options_.prune_batch);
                pruned_counter_.Inc(static_cast<double>(n));
                if (n < static_cast<std::int64_t>(options_.prune_batch)) {
                    break;  // caught up; otherwise the rest waits for the next round
                }
            }
        } catch (const std::exception& e) {
            // Not the relay's failure: publishing goes on, pruning tries again next round.
            log::Warn("pruning failed", {{"table", rule.table}, {"error", e.what()}});
        }
    }
}

bool OutboxRelay::PublishOnce() {
    // PublishCommitted publishes nothing while a pass runs (it only tries publish_mu_), and
    // again only once a pass found nothing left (on_commit_ok_), so the two never interleave.
    std::lock_guard pub(publish_mu_);
    missed_.store(false);  // a commit left to the relay before this read is found by it
    on_commit_ok_ = false;
    // Rows PublishCommitted published whose ack has not come: skipped like the sweeper's (and
    // taken first, so a row acknowledged meanwhile is in the sweeper's copy below).
    const std::vector<Handed> in_flight = SettleOnCommit();
    // After a failure, one row at a time until past every row that was in flight then: no row is
    // published again ahead of one the bus has not acknowledged.
    const std::size_t limit = careful_until_ > 0 ? 1 : options_.batch_size;
    // Rows published and not yet deleted by the sweeper are skipped. On PostgreSQL they are read
    // again (a row may commit after a higher id was published, so no id bounds what is new).
    // On SQLite every row not yet published has a higher id than any published row still in the
    // table (an id is one more than the highest there, and rows commit one at a time), so the
    // read starts after the last row handed over while that row is still there, as the same
    // event (the subquery, in the read's own snapshot); once the sweeper has deleted it, from
    // the start. Reading the waiting rows again had been 5% of tickets' CPU under POST
    // /api/tickets (perf, issue 20).
    std::vector<Handed> sweeping;
    {
        std::lock_guard lock(sweep_mu_);
        sweeping = sweep_;
    }
    if (sweeping.size() >= options_.batch_size * 8) {
        return false;  // the sweeper is behind (its deletes fail): wait for it
    }
    if (!in_flight.empty()) {
        std::vector<Handed> both;
        both.reserve(sweeping.size() + in_flight.size());
        std::merge(sweeping.begin(),
                   sweeping.end(),
                   in_flight.begin(),
                   in_flight.end(),
                   std::back_inserter(both));
        both.erase(std::unique(both.begin(), both.end()), both.end());
        sweeping.swap(both);
    }
    const bool bounded = db_.kind() != db::Database::Kind::kPostgres && !sweeping.empty();
    std::vector<Row> rows = db_.WithSession([&](soci::session& s) {
        std::vector<Row> out;
        out.reserve(limit);
        Row row;
        const auto n = static_cast<long long>(limit + sweeping.size());
        // PostgreSQL keeps the plain statement (an index scan in id order up to the limit).
        soci::statement st(s);
        if (bounded) {
            st.exchange(soci::use(sweeping.back().id));
            st.exchange(soci::use(sweeping.back().event_id));
        }
        st.exchange(soci::use(n));
        st.exchange(soci::into(row.id));
        st.exchange(soci::into(row.envelope.event_id));
        st.exchange(soci::into(row.envelope.subject));
        st.exchange(soci::into(row.envelope.payload));
        st.exchange(soci::into(row.envelope.traceparent));
        st.exchange(soci::into(row.envelope.occurred_at));
        st.alloc();
        st.prepare(bounded ? "SELECT id, event_id, subject, payload, traceparent, occurred_at "
                             "FROM outbox WHERE id > (SELECT coalesce(max(id), 0) FROM outbox "
                             "WHERE id = :after AND event_id = :after_event) "
                             "ORDER BY id LIMIT :n"
                           : "SELECT id, event_id, subject, payload, traceparent, occurred_at "
                             "FROM outbox ORDER BY id LIMIT :n");
        st.define_and_bind();
        st.execute();
        while (out.size() < limit && st.fetch()) {
            if (!std::binary_search(sweeping.begin(), sweeping.end(),
                                    Handed{row.id, row.envelope.event_id})) {
                out.push_back(row);
            }
        }
        return out;
    });
    if (rows.empty()) {
        // Caught up: the next commit's rows are the next in line, and may leave from the
        // committing thread (SQLite, where one process commits them in id order).
        on_commit_ok_ = options_.publish_on_commit && careful_until_ == 0 &&
                        db_.kind() != db::Database::Kind::kPostgres;
        return false;
    }
    std::vector<Envelope> envelopes;
    envelopes.reserve(rows.size());
    for (auto& r : rows) {
        envelopes.push_back(r.envelope);
    }
    std::vector<bool> acked = publisher_.PublishBatch(envelopes);
    // Only the acknowledged prefix is done: the first row the bus refused and every row after it
    // stay, and the next pass starts again from that row (a row after it that was acknowledged
    // is published again; the stream's duplicate window drops the copy).
    std::vector<Handed> done;
    for (std::size_t i = 0; i < rows.size() && acked[i]; ++i) {
        done.push_back({rows[i].id, std::move(rows[i].envelope.event_id)});
    }
    if (done.size() < rows.size()) {
        careful_until_ = std::max(careful_until_, rows.back().id);
    } else if (rows.back().id >= careful_until_) {
        careful_until_ = 0;
    }
    bool sweeper_keeps_up = true;
    const std::size_t done_count = done.size();
    if (done_count > 0) {
        published_ += done_count;
        published_counter_.Inc(static_cast<double>(done_count));
        sweeper_keeps_up = HandToSweeper(std::move(done));
    }
    if (done_count < rows.size()) {
        throw std::runtime_error(std::to_string(rows.size() - done_count) +
                                 " event(s) not acknowledged by JetStream");
    }
    // Another pass at once when more may wait (a full batch) and, with publishing on commit, in
    // any case: a pass that finds nothing lets the next commit's rows leave from the committing
    // thread again (on_commit_ok_).
    const bool on_commit =
        options_.publish_on_commit && db_.kind() != db::Database::Kind::kPostgres;
    return (on_commit || rows.size() == limit) && sweeper_keeps_up;
}

}  // namespace ticketing::bus

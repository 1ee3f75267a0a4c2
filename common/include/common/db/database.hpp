// Database: a pool of SOCI sessions opened from DATABASE_URL (DESIGN.md section 7), the one way
// storage code reaches SQLite or PostgreSQL. Repositories (`Sql*Repository` in each service's
// src/storage/) run their SQL inside Transaction() or WithSession(); main() opens one Database per
// service and /readyz calls Ping().
//
// The SQL given to it must run unchanged on both backends:
//   - money as integer cents and times as BIGINT epoch milliseconds (no DATE/TIMESTAMP/NUMERIC);
//   - `INSERT ... ON CONFLICT DO NOTHING` plus affected-row counts
//     (soci::statement::get_affected_rows) rather than a lookup before the write;
//   - partial unique indexes (`CREATE UNIQUE INDEX ... WHERE status IN (...)`) for rules such as
//     "one active order per ticket"; optimistic updates as `UPDATE ... WHERE id = :id AND
//     version = :v` checked by their affected-row count;
//   - bound parameters only (`:name` placeholders with soci::use), never values spliced into text;
//   - no RETURNING, no backend-specific functions or types.
//
// Failures: a database that cannot be reached (connection refused or lost, PostgreSQL shutting
// down, SQLite still locked after the busy timeout, pool exhausted) surfaces as
// db::UnavailableError (common/db/errors.hpp), which the HTTP middleware answers with 503.
// Constraint violations and SQL errors surface as the original soci::soci_error;
// IsUniqueViolation() classifies them portably. Anything else a callback throws passes through
// unchanged.
//
// Transactions differ between the backends in one way that matters: on PostgreSQL a failed
// statement aborts the whole transaction, on SQLite it does not. So do not catch an SQL error
// inside a Transaction callback and carry on: Transaction refuses to commit such a transaction
// on PostgreSQL (std::logic_error). Let the error escape and catch it outside, or avoid it with
// ON CONFLICT DO NOTHING.
//
// Thread-safety: Database is safe to use from any number of threads. A soci::session handed to a
// callback belongs to that call only: do not keep it or share it with another thread. Every
// Lease must end before its Database is destroyed.
//
// This header only declares soci::session: code that runs SQL on the session it is handed
// includes common/db/sql.hpp (SOCI itself), which only storage .cpp files, replayers and the
// migration runner do.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/db/errors.hpp"

namespace soci {
class session;
}

namespace ticketing::db {

enum class DatabaseKind { kSqlite, kPostgres };

// What a DATABASE_URL means to SOCI. ParseDatabaseUrl is public so that it can be unit-tested.
struct ConnectionSpec {
    DatabaseKind kind = DatabaseKind::kSqlite;
    // SQLite: the file path (absolute or relative to the working directory), without options.
    // PostgreSQL: a libpq "key='value' ..." string (user, password, host, port, dbname and the
    // URL's query parameters, which override the others).
    std::string connect_string;
    // SQLite only: the file path again, for creating its parent directory.
    std::string sqlite_path;
    // True when the database is on this machine: SQLite, or PostgreSQL whose every host (and
    // hostaddr) is a loopback address, `localhost` or a Unix socket's directory, or that names
    // none (libpq's default socket; unless PGHOST or PGHOSTADDR point elsewhere). A read from
    // it waits for no network (ServiceBuilder::ReadDispatch).
    bool on_this_machine = false;
};

// Accepts:
//   sqlite:///abs/path/file.db          absolute path
//   sqlite://relative/path/file.db      relative to the working directory
//   postgresql://[user[:password]@][host][:port]/dbname[?key=value&...]  (also postgres://)
// Percent-escapes are decoded. Throws std::invalid_argument (never echoing a password) for
// anything else.
ConnectionSpec ParseDatabaseUrl(const std::string& url);

// True when `e` is a unique/primary-key violation: SQLite "UNIQUE constraint failed" (extended
// code SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY), PostgreSQL SQLSTATE 23505.
bool IsUniqueViolation(const std::exception& e);

class Database final {
public:
    using Kind = DatabaseKind;

    struct Options {
        std::size_t pool_size = 8;
        // How long a caller waits for a free session before UnavailableError.
        std::chrono::milliseconds acquire_timeout{10'000};
        // SQLite: how long a statement waits for a lock held by another connection.
        std::chrono::milliseconds sqlite_busy_timeout{10'000};
        // PostgreSQL: libpq connect_timeout, unless the URL sets one.
        std::chrono::seconds postgres_connect_timeout{5};
        // PostgreSQL: a session back in the pool for less than this sends its next
        // transaction's BEGIN with the transaction's first statement (BeginWithNextStatement,
        // one round trip fewer): its connection worked a moment ago. One idle for longer sends
        // BEGIN on its own first, so that a connection that died silently meanwhile fails
        // there, where a transaction can still take another session, rather than in the middle
        // of the caller's work. Zero: BEGIN always on its own.
        std::chrono::milliseconds postgres_join_begin_within{1000};
        // SQLite (a file in WAL mode): how often a thread of its own copies the WAL back into
        // the database (a PASSIVE checkpoint, which never blocks a writer). SQLite's own
        // checkpoint would run inside whichever commit crossed 1000 pages, with its fsync, on a
        // request's or a consumer's thread (issue 20).
        std::chrono::milliseconds sqlite_checkpoint_interval{200};
        // ... but only once the WAL holds at least this many frames (pages; 4000 is about
        // 16 MB). The first commit after a checkpoint that copied everything starts the WAL
        // over and syncs its new header: a checkpoint of a small WAL every interval put that
        // fsync (milliseconds here, tens under load) on one commit in twenty at 100 writes/s.
        std::size_t sqlite_checkpoint_frames = 4000;
        // ... and once it holds this many (about 64 MB), a RESTART checkpoint instead: while
        // writes never stop, a PASSIVE one never catches up with the WAL's end, so the WAL never
        // starts over (750 MB after 46k POST /api/tickets at full speed, every read searching a
        // longer WAL index). RESTART holds new writers back while it waits, at most
        // sqlite_checkpoint_restart_wait, for the readers still in the WAL, copies the rest, and
        // the next commit starts the WAL over (cut back to this size on disk).
        std::size_t sqlite_checkpoint_restart_frames = 16000;
        std::chrono::milliseconds sqlite_checkpoint_restart_wait{100};
        // SQLite: a write that would run alone while writes come fast and together (another
        // group ended less than 0.5 ms ago, and one had company less than 2 ms ago) waits this
        // long for others to join its group, so that they share one commit. 8 s of POST
        // /api/tickets ran 18k groups of one without it (zero: never wait).
        std::chrono::microseconds sqlite_group_linger{100};
    };

    // A session leased from the pool, returned to it on destruction. A session whose connection
    // broke, or that was left inside a transaction it cannot roll back, is closed instead and the
    // pool opens a fresh one on demand.
    class Lease final {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        soci::session& session() { return *session_; }
        // Makes the pool discard the session instead of reusing it.
        void MarkBroken() noexcept { broken_ = true; }

    private:
        friend class Database;
        Lease(Database* owner,
              std::unique_ptr<soci::session> session,
              bool fresh,
              bool just_used = false) noexcept;

        Database* owner_;
        std::unique_ptr<soci::session> session_;
        bool fresh_;      // opened for this lease rather than reused from the pool
        bool just_used_;  // back in the pool less than postgres_join_begin_within ago
        bool broken_ = false;
    };

    // Opens the pool and one session (so a bad URL or an unreachable server fails at startup).
    // SQLite: creates the file's parent directory, sets WAL journal mode, busy_timeout,
    // foreign_keys=ON and synchronous=NORMAL on every connection.
    // Throws std::invalid_argument for a malformed URL, UnavailableError when the database
    // cannot be opened.
    static std::unique_ptr<Database> Open(const std::string& url, std::size_t pool_size = 8);
    static std::unique_ptr<Database> Open(const std::string& url, const Options& options);

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Kind kind() const noexcept { return kind_; }
    // ConnectionSpec::on_this_machine of the URL it was opened with.
    bool on_this_machine() const noexcept { return spec_.on_this_machine; }

    // Runs f(soci::session&) inside one transaction and returns its result: SQLite `BEGIN
    // IMMEDIATE` (takes the write lock up front, so two writers never deadlock upgrading a read
    // lock), PostgreSQL `BEGIN` (READ COMMITTED). Commits when f returns; rolls back and rethrows
    // when f or the commit throws. A connection failure becomes UnavailableError. On SQLite, f
    // may run on another caller's thread, inside a SAVEPOINT of a group's transaction (see
    // WriteInGroup): it must not rely on thread-local state. Do not call Transaction again from
    // inside f with the same Database (on SQLite it would wait for its own group), nor
    // WithSession when the pool may be exhausted (it waits for a session the outer call holds).
    template <class F>
    std::invoke_result_t<F&, soci::session&> Transaction(F&& f);

    // Transaction without waiting for it. On SQLite, `work` joins the queue of writes and
    // returns at once; a writer thread of this Database (started by the first call) runs it in
    // the next group with the others, commits, and then calls done(nullptr), or done(error) with
    // what work or the commit threw, translated as Transaction would. So a caller that must
    // answer only after the commit (an HTTP handler) need not hold a thread while it waits.
    // `done` runs on the thread that ran the group, outside any lock: it must not block for long
    // (it delays the next group), may call TransactionAsync again, and must not call
    // Transaction (that would wait for a group behind itself). What it throws is logged. On
    // PostgreSQL, where transactions do not queue, it runs the transaction now, on the caller's
    // thread, and calls done before returning. Writes still queued when the Database is
    // destroyed are run and answered first.
    void TransactionAsync(std::function<void(soci::session&)> work,
                          std::function<void(std::exception_ptr)> done);

    // Called from inside the work of a Transaction or TransactionAsync of this Database on
    // SQLite: `hook` runs right after that work's transaction commits, on the thread that
    // committed it and before any later write of this Database commits, so hooks run in commit
    // order (the outbox relay publishes a commit's events from there). It is dropped when the
    // work or its group rolls back. Returns false, keeping nothing, anywhere else: outside such
    // work, and on PostgreSQL, where nothing orders the commits of several processes. A hook
    // delays the next write: it must be short and must not write to this Database; what it
    // throws is logged.
    bool AfterCommit(std::function<void()> hook);

    // Runs f(soci::session&) on a leased session in autocommit mode: for reads that need no
    // transaction. A transaction f leaves open is rolled back when the lease ends.
    template <class F>
    std::invoke_result_t<F&, soci::session&> WithSession(F&& f);

    // For /readyz: runs SELECT 1 on a session; false on any failure. Never throws. Waits at most
    // `timeout` for a free session.
    bool Ping(std::chrono::milliseconds timeout = std::chrono::milliseconds(2'000)) noexcept;

    // Lower-level access, used by the templates above and by code that needs to control the
    // transaction itself (such as a long-lived advisory-lock holder).
    Lease Acquire() { return Acquire(options_.acquire_timeout); }
    Lease Acquire(std::chrono::milliseconds timeout);

    // SQLite file databases: how many times the checkpointer has looked at the WAL, and how many
    // checkpoints it ran (for tests and metrics). Zero without a checkpointer.
    std::uint64_t sqlite_checkpoint_looks() const noexcept;
    // Looks that asked the kernel to read the WAL's next part ahead of the commits (the WAL had
    // started over, so they write over old frames: Checkpointer::PrefetchAhead).
    std::uint64_t sqlite_wal_prefetches() const noexcept;
    std::uint64_t sqlite_checkpoints() const noexcept;
    // RESTART checkpoints that copied everything (the next commit starts the WAL over).
    std::uint64_t sqlite_wal_restarts() const noexcept;
    // SQLite: groups whose first writer waited for company (Options::sqlite_group_linger).
    std::uint64_t sqlite_group_lingers() const;

private:
    friend class NotificationListener;  // opens a connection of its own from spec_
    struct Pool;

    Database(Kind kind, ConnectionSpec spec, const Options& options);

    std::unique_ptr<soci::session> OpenSession();
    void Release(std::unique_ptr<soci::session> session, bool broken) noexcept;
    // Leases a session and begins a transaction on it. A reused session whose connection died
    // while idle (a PostgreSQL restart) is discarded and another one is tried, since nothing has
    // run on it yet.
    Lease AcquireAndBegin();
    void Commit(Lease& lease);
    // Called inside a catch block: rolls back when a transaction is open, marks the lease broken
    // when the connection failed, and rethrows the current exception (translated to
    // UnavailableError when the database is unreachable).
    [[noreturn]] void RollbackAndRethrow(Lease& lease, bool in_transaction);

    // SQLite's writes, committed in groups: every Transaction waiting for the one writer joins a
    // queue; whichever caller finds no group running takes up to kMaxGroup of them and runs them
    // in one transaction, each inside a SAVEPOINT (what one callback throws undoes only its own
    // work and is rethrown to its caller), commits once, then hands every caller its outcome.
    // A write is answered only once the group's commit is done, as before; what changes is that
    // a burst of requests pays for one commit and one lock hand-off instead of one each.
    struct GroupWrite;
    struct WriteQueue;
    static constexpr std::size_t kMaxGroup = 64;
    void WriteInGroup(const std::function<void(soci::session&)>& work);
    // Called with the queue's lock held, no group running and writes waiting: runs the oldest of
    // them as a group and answers them. Returns with the lock held.
    void RunNextGroup(std::unique_lock<std::mutex>& lock, bool may_linger);
    void WriterLoop();  // the writer thread (TransactionAsync)
    bool ShouldLinger(const WriteQueue& q) const;
    void RunGroup(const std::vector<GroupWrite*>& group);

    Kind kind_;
    ConnectionSpec spec_;
    Options options_;
    // SQLite: the WAL's size in frames after the last commit, from every connection's WAL hook
    // (declared before the pool, whose connections point at it, so it outlives them).
    struct WalSize;
    std::unique_ptr<WalSize> wal_size_;
    std::unique_ptr<Pool> pool_;
    // SQLite has one writer at a time anyway, and its busy handler waits by sleeping in growing
    // steps: under load, writers queued here instead get the lock the moment it is free.
    std::unique_ptr<WriteQueue> writes_;
    // SQLite file databases: the background checkpointer (its own connection and thread).
    class Checkpointer;
    std::unique_ptr<Checkpointer> checkpointer_;
};

// Inside a Transaction: the session's next statement, whose answer the caller does not read (an
// INSERT with no RETURNING, such as the outbox's), goes to PostgreSQL in one round trip with the
// statement after it, or with COMMIT: one round trip fewer per transaction (issue 20). If it
// fails, that later statement (or the commit) throws its error and the transaction is rolled
// back. Nothing changes on SQLite, outside a transaction, or for a text the session runs for the
// first or second time (postgres_statement_cache.hpp, SendWithNextStatement).
void SendWithNextStatement(soci::session& tx);

template <class F>
std::invoke_result_t<F&, soci::session&> Database::Transaction(F&& f) {
    using Result = std::invoke_result_t<F&, soci::session&>;
    if (kind_ == Kind::kSqlite) {
        if constexpr (std::is_void_v<Result>) {
            WriteInGroup([&](soci::session& s) { std::invoke(f, s); });
            return;
        } else {
            std::optional<Result> result;
            WriteInGroup([&](soci::session& s) { result.emplace(std::invoke(f, s)); });
            return std::move(*result);
        }
    }
    Lease lease = AcquireAndBegin();
    try {
        if constexpr (std::is_void_v<Result>) {
            std::invoke(f, lease.session());
            Commit(lease);
        } else {
            Result result = std::invoke(f, lease.session());
            Commit(lease);
            return result;
        }
    } catch (...) {
        RollbackAndRethrow(lease, /*in_transaction=*/true);
    }
}

template <class F>
std::invoke_result_t<F&, soci::session&> Database::WithSession(F&& f) {
    Lease lease = Acquire();
    try {
        return std::invoke(f, lease.session());
    } catch (...) {
        RollbackAndRethrow(lease, /*in_transaction=*/false);
    }
}

}  // namespace ticketing::db

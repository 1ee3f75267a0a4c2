#include "common/db/sql.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "common/db/errors.hpp"
#include "common/db/postgres_statement_cache.hpp"
#include "common/db/sqlite_statement_cache.hpp"
#include "common/log/log.hpp"
#include "common/util/percent_decode.hpp"

namespace ticketing::db {
namespace {

constexpr std::string_view kUnavailableMessage = "Database unavailable";

// ---- URL parsing -------------------------------------------------------------------------------

std::string PercentDecode(std::string_view text, std::string_view what) {
    auto decoded = util::PercentDecode(text);
    if (!decoded) {
        throw std::invalid_argument("database URL: bad or truncated percent-escape in " +
                                    std::string(what));
    }
    return *decoded;
}

// libpq conninfo value: always single-quoted, with backslash and quote escaped.
std::string QuoteConninfo(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\\' || c == '\'') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

bool IsConninfoKeyword(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

ConnectionSpec ParseSqliteUrl(std::string_view rest) {
    // rest follows "sqlite://": "/abs/path" or "relative/path".
    if (rest.empty() || rest == "/") {
        throw std::invalid_argument("database URL: sqlite URL needs a file path");
    }
    if (rest.find('?') != std::string_view::npos) {
        throw std::invalid_argument("database URL: sqlite URLs take no query parameters");
    }
    std::string path = PercentDecode(rest, "path");
    if (path == ":memory:" || path.find('=') != std::string::npos) {
        // SOCI's sqlite3 backend reads "key=value" options out of the connect string, and every
        // pooled session must see the same database: refuse rather than misbehave.
        throw std::invalid_argument("database URL: unsupported sqlite path '" + path + "'");
    }
    ConnectionSpec spec;
    spec.kind = DatabaseKind::kSqlite;
    spec.connect_string = path;
    spec.sqlite_path = path;
    spec.on_this_machine = true;
    return spec;
}

// A libpq host or hostaddr value (a comma-separated list) that names only this machine: loopback
// addresses, `localhost`, Unix socket directories (absolute, or `@` for Linux's abstract ones).
// An empty element is libpq's default, the Unix socket.
bool OnlyThisMachine(std::string_view hosts) {
    for (;;) {
        const auto comma = hosts.find(',');
        const std::string_view host = hosts.substr(0, comma);
        const bool loopback_v4 = host.substr(0, 4) == "127." &&
                                 host.find_first_not_of("0123456789.") == std::string_view::npos;
        const bool local = host.empty() || host.front() == '/' || host.front() == '@' ||
                           host == "localhost" || host == "::1" || loopback_v4;
        if (!local) {
            return false;
        }
        if (comma == std::string_view::npos) {
            return true;
        }
        hosts = hosts.substr(comma + 1);
    }
}

ConnectionSpec ParsePostgresUrl(std::string_view rest) {
    // rest follows "postgresql://": [userinfo@][host][:port][/dbname][?query]
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view path;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        path = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    std::string_view userinfo;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    std::string_view host = rest;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos) {
            throw std::invalid_argument("database URL: unterminated IPv6 address");
        }
        const std::string_view after = host.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                throw std::invalid_argument("database URL: unexpected text after IPv6 address");
            }
            port = after.substr(1);
        }
        host = host.substr(1, close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
    }

    // Ordered so that the generated string is stable (tests compare it); query parameters
    // override what the authority said, as in libpq's own URI handling.
    std::vector<std::pair<std::string, std::string>> params;
    auto set = [&params](std::string key, std::string value) {
        for (auto& [k, v] : params) {
            if (k == key) {
                v = std::move(value);
                return;
            }
        }
        params.emplace_back(std::move(key), std::move(value));
    };

    if (!userinfo.empty()) {
        const auto colon = userinfo.find(':');
        set("user", PercentDecode(userinfo.substr(0, colon), "user"));
        if (colon != std::string_view::npos) {
            set("password", PercentDecode(userinfo.substr(colon + 1), "password"));
        }
    }
    if (!host.empty()) {
        set("host", PercentDecode(host, "host"));
    }
    if (!port.empty()) {
        if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            port.size() > 5 || std::stoi(std::string(port)) > 65535 ||
            std::stoi(std::string(port)) == 0) {
            throw std::invalid_argument("database URL: bad port '" + std::string(port) + "'");
        }
        set("port", std::string(port));
    }
    if (!path.empty()) {
        set("dbname", PercentDecode(path, "dbname"));
    }
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view item = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (item.empty()) {
            continue;
        }
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) {
            throw std::invalid_argument("database URL: query parameter without value");
        }
        std::string key = PercentDecode(item.substr(0, eq), "parameter");
        if (!IsConninfoKeyword(key)) {
            throw std::invalid_argument("database URL: bad parameter name '" + key + "'");
        }
        set(std::move(key), PercentDecode(item.substr(eq + 1), "parameter"));
    }
    const bool has_dbname = std::any_of(
        params.begin(), params.end(), [](const auto& p) { return p.first == "dbname"; });
    if (!has_dbname) {
        throw std::invalid_argument("database URL: postgresql URL needs a database name");
    }

    ConnectionSpec spec;
    spec.kind = DatabaseKind::kPostgres;
    bool names_a_host = false;
    spec.on_this_machine = true;
    for (const auto& [key, value] : params) {
        if (key == "host" || key == "hostaddr") {
            names_a_host = true;
            spec.on_this_machine = spec.on_this_machine && OnlyThisMachine(value);
        }
    }
    if (!names_a_host) {
        // libpq takes the host from the environment then.
        for (const char* var : {"PGHOST", "PGHOSTADDR"}) {
            if (const char* value = std::getenv(var); value != nullptr) {
                spec.on_this_machine = spec.on_this_machine && OnlyThisMachine(value);
            }
        }
    }
    for (const auto& [key, value] : params) {
        if (!spec.connect_string.empty()) {
            spec.connect_string.push_back(' ');
        }
        spec.connect_string += key + "=" + QuoteConninfo(value);
    }
    return spec;
}

// ---- error classification ----------------------------------------------------------------------

int SqliteErrorCode(const std::exception& e) {
    if (const auto* err = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
        return err->result();
    }
    return -1;
}

std::string PostgresSqlState(const std::exception& e) {
    if (const auto* err = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        return err->sqlstate();
    }
    return {};
}

// Errors that mean "the database cannot serve us right now", not "this statement is wrong".
bool IsUnavailableError(const std::exception& e) {
    if (const int code = SqliteErrorCode(e); code >= 0) {
        const int primary = code & 0xff;
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN ||
               primary == SQLITE_IOERR || primary == SQLITE_FULL;
    }
    if (const auto* err = dynamic_cast<const soci::soci_error*>(&e)) {
        if (err->get_error_category() == soci::soci_error::connection_error) {
            return true;
        }
    }
    const std::string state = PostgresSqlState(e);
    // 08: connection exception; 57P01..03: admin/crash shutdown, cannot connect now;
    // 53300: too many connections.
    return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state == "53300";
}

// The backend objects' typeinfo is not exported by SOCI, so no dynamic_cast: the Database knows
// which backend every one of its sessions uses.
soci::postgresql_session_backend* PostgresBackend(DatabaseKind kind, soci::session& session) {
    return kind == DatabaseKind::kPostgres
               ? static_cast<soci::postgresql_session_backend*>(session.get_backend())
               : nullptr;
}

soci::sqlite3_session_backend* SqliteBackend(DatabaseKind kind, soci::session& session) {
    return kind == DatabaseKind::kSqlite
               ? static_cast<soci::sqlite3_session_backend*>(session.get_backend())
               : nullptr;
}

// True when the session's connection is gone (PostgreSQL), judged without a round trip.
bool ConnectionLost(DatabaseKind kind, soci::session& session) {
    if (session.get_backend() == nullptr) {
        return true;
    }
    if (auto* pg = PostgresBackend(kind, session)) {
        return pg->conn_ == nullptr || PQstatus(pg->conn_) != CONNECTION_OK;
    }
    return false;
}

// Reads, without blocking, whatever the server sent to an idle PostgreSQL connection: a server
// that shut down or restarted sent a FATAL message and closed the socket, which libpq notices
// once it reads up to the end of the stream. No round trip; a silently dropped network path
// still shows only on the next statement (and Transaction retries its BEGIN for that).
bool ClosedByServer(DatabaseKind kind, soci::session& session) {
    auto* pg = PostgresBackend(kind, session);
    if (pg == nullptr) {
        return false;
    }
    if (pg->conn_ == nullptr || PQstatus(pg->conn_) != CONNECTION_OK) {
        return true;
    }
    for (int round = 0; round < 4; ++round) {
        pollfd readable{PQsocket(pg->conn_), POLLIN, 0};
        if (readable.fd < 0) {
            return true;
        }
        if (::poll(&readable, 1, 0) <= 0) {
            break;  // nothing pending: the connection looks alive
        }
        if (PQconsumeInput(pg->conn_) == 0 || PQstatus(pg->conn_) != CONNECTION_OK) {
            return true;
        }
    }
    return false;
}

// True when a transaction is open on the session (and whether its state is even known).
enum class TxState { kIdle, kOpen, kUnknown };

TxState TransactionState(DatabaseKind kind, soci::session& session) {
    if (session.get_backend() == nullptr) {
        return TxState::kUnknown;
    }
    if (auto* pg = PostgresBackend(kind, session)) {
        if (pg->conn_ == nullptr) {
            return TxState::kUnknown;
        }
        switch (PQtransactionStatus(pg->conn_)) {
            case PQTRANS_IDLE:
                return TxState::kIdle;
            case PQTRANS_INTRANS:
            case PQTRANS_INERROR:
                return TxState::kOpen;
            default:
                return TxState::kUnknown;
        }
    }
    if (auto* lite = SqliteBackend(kind, session)) {
        return sqlite_api::sqlite3_get_autocommit(lite->conn_) != 0 ? TxState::kIdle
                                                                    : TxState::kOpen;
    }
    return TxState::kUnknown;
}

// libpq prints NOTICEs ("relation ... already exists, skipping") on stderr by default, which
// would break the one-JSON-object-per-line log format.
void LogPostgresNotice(void* /*arg*/, const char* message) {
    std::string_view text(message);
    while (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
    }
    log::Debug("postgresql notice", {{"notice", text}});
}

}  // namespace

// ---- public free functions ---------------------------------------------------------------------

ConnectionSpec ParseDatabaseUrl(const std::string& url) {
    const std::string_view view(url);
    for (std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (view.substr(0, scheme.size()) == scheme) {
            return ParsePostgresUrl(view.substr(scheme.size()));
        }
    }
    constexpr std::string_view kSqlite = "sqlite://";
    if (view.substr(0, kSqlite.size()) == kSqlite) {
        return ParseSqliteUrl(view.substr(kSqlite.size()));
    }
    const auto colon = view.find(':');
    throw std::invalid_argument(
        "database URL: unsupported scheme '" +
        std::string(view.substr(0, colon == std::string_view::npos ? 0 : colon)) +
        "' (expected sqlite:// or postgresql://)");
}

bool IsUniqueViolation(const std::exception& e) {
    if (const int code = SqliteErrorCode(e); code >= 0) {
        if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return true;
        }
        // Without extended result codes SOCI reports plain SQLITE_CONSTRAINT; the message tells
        // a unique violation from NOT NULL, CHECK and foreign-key failures.
        return (code & 0xff) == SQLITE_CONSTRAINT &&
               std::string_view(e.what()).find("UNIQUE constraint failed") !=
                   std::string_view::npos;
    }
    if (const std::string state = PostgresSqlState(e); !state.empty()) {
        return state == "23505";
    }
    return false;
}

// ---- pool --------------------------------------------------------------------------------------

struct Database::Pool {
    struct Idle {
        std::unique_ptr<soci::session> session;
        std::chrono::steady_clock::time_point since;  // back in the pool then
    };
    std::mutex mutex;
    std::condition_variable available;
    std::vector<Idle> idle;  // most recently used at the back
    std::size_t open = 0;    // idle + leased
};

Database::Lease::Lease(Database* owner,
                       std::unique_ptr<soci::session> session,
                       bool fresh,
                       bool just_used) noexcept
    : owner_(owner), session_(std::move(session)), fresh_(fresh), just_used_(just_used) {}

Database::Lease::Lease(Lease&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      session_(std::move(other.session_)),
      fresh_(other.fresh_),
      just_used_(other.just_used_),
      broken_(other.broken_) {}

Database::Lease::~Lease() {
    if (owner_ != nullptr && session_ != nullptr) {
        owner_->Release(std::move(session_), broken_);
    }
}

// ---- SQLite's group commit ---------------------------------------------------------------------

// One caller's write, waiting in the queue until a group ran it.
struct Database::GroupWrite {
    const std::function<void(soci::session&)>* work = nullptr;
    std::exception_ptr error;
    bool done = false;
    std::condition_variable wake;  // done, or this caller is to run the next group
    // TransactionAsync: nobody waits for this write. It owns its work, and the thread that ran
    // its group calls on_done with its outcome, then deletes it.
    bool async = false;
    std::function<void(soci::session&)> owned_work;
    std::function<void(std::exception_ptr)> on_done;
};

struct Database::WriteQueue {
    std::mutex mutex;
    std::deque<GroupWrite*> waiting;  // oldest first
    bool running = false;             // a group is being run
    // When the last group ended, and when a group last saw writers arrive while one ran.
    std::chrono::steady_clock::time_point last_end{};
    std::chrono::steady_clock::time_point last_concurrent{};
    std::uint64_t lingers = 0;  // groups that waited for company
    // The checkpointer's turn (a RESTART checkpoint): no group starts while it is held. With
    // writers that never pause, SQLite's busy handler alone almost never gave it the writer's
    // lock between two groups.
    bool held = false;
    std::condition_variable idle;  // running went false while held
    // The writer thread (started by the first TransactionAsync): runs the groups that begin with
    // an asynchronous write, which has no caller waiting to run them.
    std::thread writer;
    std::condition_variable writer_wake;
    bool stopping = false;  // the Database is being destroyed: the writer drains, then ends

    // Called with the lock held when no group runs: wakes whoever is to run the next one. The
    // oldest waiting write's caller when it waits (a synchronous write), else the writer thread.
    void WakeNextRunner() {
        if (!waiting.empty()) {
            if (waiting.front()->async) {
                writer_wake.notify_one();
            } else {
                waiting.front()->wake.notify_one();
            }
        }
        if (stopping) {
            writer_wake.notify_one();
        }
    }

    // Waits for the running group, if any, to end, and keeps the next one from starting.
    void Hold() {
        std::unique_lock lock(mutex);
        idle.wait(lock, [this] { return !held; });
        held = true;
        idle.wait(lock, [this] { return !running; });
    }

    void Release() {
        std::lock_guard lock(mutex);
        held = false;
        idle.notify_all();
        WakeNextRunner();
    }
};

bool Database::ShouldLinger(const WriteQueue& q) const {
    if (options_.sqlite_group_linger.count() <= 0 || q.waiting.size() != 1) {
        return false;
    }
    // Only while writes come fast and together: a writer alone (a consumer catching up, a
    // replay, a test) never waits, nor does a write after a quiet moment.
    const auto now = std::chrono::steady_clock::now();
    return now - q.last_end < std::chrono::microseconds(500) &&
           now - q.last_concurrent < std::chrono::milliseconds(2);
}

void Database::WriteInGroup(const std::function<void(soci::session&)>& work) {
    WriteQueue& q = *writes_;
    GroupWrite mine;
    mine.work = &work;
    std::unique_lock lock(q.mutex);
    q.waiting.push_back(&mine);
    while (!mine.done) {
        if (q.running || q.held) {
            mine.wake.wait(lock);
            continue;
        }
        // No group is running: this caller runs the oldest waiting writes (its own among them
        // unless more than kMaxGroup wait ahead of it).
        RunNextGroup(lock, /*may_linger=*/true);
    }
    lock.unlock();
    if (mine.error) {
        std::rethrow_exception(mine.error);
    }
}

void Database::TransactionAsync(std::function<void(soci::session&)> work,
                                std::function<void(std::exception_ptr)> done) {
    if (kind_ != Kind::kSqlite) {
        std::exception_ptr error;
        try {
            Transaction(work);
        } catch (...) {
            error = std::current_exception();
        }
        done(error);
        return;
    }
    auto write = std::make_unique<GroupWrite>();
    write->async = true;
    write->owned_work = std::move(work);
    write->work = &write->owned_work;
    write->on_done = std::move(done);
    WriteQueue& q = *writes_;
    std::lock_guard lock(q.mutex);
    if (q.stopping) {
        throw std::logic_error("Database::TransactionAsync called while the database closes");
    }
    if (!q.writer.joinable()) {
        q.writer = std::thread([this] { WriterLoop(); });
    }
    q.waiting.push_back(write.release());
    if (!q.running && !q.held) {
        q.writer_wake.notify_one();
    }
}

void Database::WriterLoop() {
    WriteQueue& q = *writes_;
    std::unique_lock lock(q.mutex);
    for (;;) {
        q.writer_wake.wait(lock, [&q] {
            return (!q.waiting.empty() && !q.running && !q.held) ||
                   (q.stopping && q.waiting.empty());
        });
        if (q.waiting.empty()) {
            return;  // stopping, and every write was run
        }
        // The writer's groups never linger: nobody waits in them, so company costs nothing.
        RunNextGroup(lock, /*may_linger=*/false);
    }
}

void Database::RunNextGroup(std::unique_lock<std::mutex>& lock, bool may_linger) {
    WriteQueue& q = *writes_;
    q.running = true;
    if (may_linger && ShouldLinger(q)) {
        // Writers arrive together but this one came alone: give the others a moment to
        // join its group rather than each paying a commit (see Options::sqlite_group_linger).
        ++q.lingers;
        lock.unlock();
        std::this_thread::sleep_for(options_.sqlite_group_linger);
        lock.lock();
    }
    const std::size_t n = std::min(q.waiting.size(), kMaxGroup);
    std::vector<GroupWrite*> group(q.waiting.begin(), q.waiting.begin() + n);
    q.waiting.erase(q.waiting.begin(), q.waiting.begin() + n);
    lock.unlock();
    RunGroup(group);
    lock.lock();
    q.running = false;
    q.last_end = std::chrono::steady_clock::now();
    if (group.size() > 1 || !q.waiting.empty()) {
        q.last_concurrent = q.last_end;
    }
    std::vector<GroupWrite*> answered;
    for (GroupWrite* w : group) {
        if (w->async) {
            answered.push_back(w);
        } else {
            w->done = true;
            w->wake.notify_one();  // the caller running this group has no one waiting on it
        }
    }
    if (q.held) {
        q.idle.notify_all();  // the checkpointer goes first; Release wakes the next runner
    } else {
        q.WakeNextRunner();
    }
    if (answered.empty()) {
        return;
    }
    // The asynchronous writes' answers, outside the lock (they may write a response, wake the
    // relay, or even start another write).
    lock.unlock();
    for (GroupWrite* w : answered) {
        try {
            w->on_done(w->error);
        } catch (const std::exception& e) {
            log::Error("an asynchronous write's completion threw", {{"error", e.what()}});
        } catch (...) {
            log::Error("an asynchronous write's completion threw", {{"error", "unknown exception"}});
        }
        delete w;
    }
    lock.lock();
}

namespace {

// The hooks of the group a thread is running (Database::AfterCommit), with the Database whose
// group it is: set by RunGroup for the time its members' work runs.
struct CommitHooks {
    const Database* db = nullptr;
    std::vector<std::function<void()>> hooks;
};
thread_local CommitHooks* t_commit_hooks = nullptr;

class CommitHooksScope {
public:
    explicit CommitHooksScope(CommitHooks& hooks)
        : previous_(std::exchange(t_commit_hooks, &hooks)) {}
    ~CommitHooksScope() { t_commit_hooks = previous_; }
    CommitHooksScope(const CommitHooksScope&) = delete;
    CommitHooksScope& operator=(const CommitHooksScope&) = delete;

private:
    CommitHooks* previous_;
};

void RunCommitHooks(std::vector<std::function<void()>>& hooks) {
    for (auto& hook : hooks) {
        try {
            hook();
        } catch (const std::exception& e) {
            log::Error("an after-commit hook threw", {{"error", e.what()}});
        } catch (...) {
            log::Error("an after-commit hook threw", {{"error", "unknown exception"}});
        }
    }
}

}  // namespace

bool Database::AfterCommit(std::function<void()> hook) {
    if (t_commit_hooks == nullptr || t_commit_hooks->db != this) {
        return false;
    }
    t_commit_hooks->hooks.push_back(std::move(hook));
    return true;
}

void Database::RunGroup(const std::vector<GroupWrite*>& group) {
    // Anything that fails the group as a whole (BEGIN, a savepoint statement, COMMIT) is every
    // member's outcome: nothing of the group was kept.
    auto fail_all = [&group](std::exception_ptr error) {
        for (GroupWrite* w : group) {
            w->error = error;
        }
    };
    std::optional<Lease> lease;
    try {
        lease.emplace(AcquireAndBegin());
    } catch (...) {
        fail_all(std::current_exception());
        return;
    }
    soci::session& session = lease->session();
    bool kept_any = false;
    CommitHooks hooks{this, {}};
    try {
        CommitHooksScope scope(hooks);
        if (group.size() == 1) {
            (*group.front()->work)(session);
            kept_any = true;
        } else {
            for (GroupWrite* w : group) {
                session << "SAVEPOINT group_write";
                const std::size_t hooks_before = hooks.hooks.size();
                try {
                    (*w->work)(session);
                    session << "RELEASE group_write";
                    kept_any = true;
                } catch (...) {
                    w->error = std::current_exception();
                    hooks.hooks.resize(hooks_before);  // what it registered was undone with it
                    session << "ROLLBACK TO group_write";
                    session << "RELEASE group_write";
                }
            }
        }
        if (kept_any) {
            Commit(*lease);
        } else {
            session << "ROLLBACK";
        }
    } catch (...) {
        // The group failed as a whole: roll back (RollbackAndRethrow also translates an
        // unreachable database into UnavailableError) and give that to every member.
        try {
            RollbackAndRethrow(*lease, /*in_transaction=*/true);
        } catch (...) {
            fail_all(std::current_exception());
        }
        return;
    }
    // Committed, and the next group waits for this one to return: the hooks run in commit order.
    RunCommitHooks(hooks.hooks);
    // What one member threw: translated as Transaction would (a database error that means the
    // database is unavailable becomes UnavailableError); everything else passes through.
    for (GroupWrite* w : group) {
        if (!w->error) {
            continue;
        }
        try {
            std::rethrow_exception(w->error);
        } catch (const soci::soci_error& e) {
            if (IsUnavailableError(e)) {
                log::Warn("database unavailable", {{"cause", e.what()}});
                w->error = std::make_exception_ptr(UnavailableError(std::string(kUnavailableMessage)));
            }
        } catch (...) {
        }
    }
}

Database::Database(Kind kind, ConnectionSpec spec, const Options& options)
    : kind_(kind),
      spec_(std::move(spec)),
      options_(options),
      wal_size_(std::make_unique<WalSize>()),
      pool_(std::make_unique<Pool>()),
      writes_(std::make_unique<WriteQueue>()) {
    if (options_.pool_size == 0) {
        throw std::invalid_argument("Database: pool_size must be at least 1");
    }
}

struct Database::WalSize {
    std::atomic<int> frames{0};

    // sqlite3_wal_hook's callback: runs inside every commit of a connection, with the number of
    // frames the WAL holds after it.
    static int OnCommit(void* self, sqlite_api::sqlite3* /*db*/, const char* /*name*/, int frames) {
        static_cast<WalSize*>(self)->frames.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
    }
};

// Every interval, once the WAL holds min_frames, PRAGMA wal_checkpoint(PASSIVE) on a connection
// of its own: it copies what it can without waiting for readers or writers, and the commits
// (autocheckpoint off) never do it. Once the WAL holds restart_frames, it has the WAL start over
// (Options::sqlite_checkpoint_restart_frames): PASSIVEs while groups still write
// (CopyWhileWriting), then, with no group writing, PASSIVE until everything is copied and a
// RESTART, bounded by restart_wait (Restart).
class Database::Checkpointer {
public:
    Checkpointer(std::unique_ptr<soci::session> session,
                 std::string wal_path,
                 std::chrono::milliseconds interval,
                 WalSize& wal,
                 WriteQueue& writes,
                 std::size_t min_frames,
                 std::size_t restart_frames,
                 std::chrono::milliseconds restart_wait)
        : session_(WithBusyTimeout(std::move(session), restart_wait)),
          wal_path_(std::move(wal_path)),
          frame_bytes_(kWalFrameHeader + PageSize(*session_)),
          interval_(interval),
          wal_(wal),
          writes_(writes),
          min_frames_(static_cast<int>(std::min<std::size_t>(min_frames, INT32_MAX))),
          restart_frames_(static_cast<int>(std::min<std::size_t>(restart_frames, INT32_MAX))),
          restart_wait_(restart_wait),
          thread_([this] { Run(); }) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    std::uint64_t looks() const { return looks_.load(); }
    std::uint64_t prefetches() const { return prefetches_.load(); }
    std::uint64_t checkpoints() const { return checkpoints_.load(); }
    std::uint64_t restarts() const { return restarts_.load(); }

private:
    static constexpr long long kWalHeader = 32;       // SQLite's WAL format
    static constexpr long long kWalFrameHeader = 24;  // before each page
    static constexpr long long kLeastAhead = 1 << 20;
    static constexpr long long kMostAhead = 32 << 20;

    static long long PageSize(soci::session& session) {
        long long size = 4096;
        session << "PRAGMA page_size", soci::into(size);
        return size;
    }

    // Once the WAL has started over, commits write their frames over the file's old ones. A
    // frame is a page plus 24 bytes, so no write covers whole blocks of the file: each one whose
    // page has left the page cache reads the old block from the disk first, inside the commit.
    // On this machine the kernel evicts file pages unused for about 6 s (DAMON's pageout), so at
    // 100 commits/s, where the WAL starts over every few tens of seconds, most commits read:
    // the orders replica's p50 from a PUT's 200 went from 0.50-0.54 ms with the WAL's pages
    // cached to 1.03-1.16 ms with them evicted (issue 20). So at each look the checkpointer asks
    // the kernel to read the part of the file the next commits will write (from the WAL's last
    // frame on, four times what was written since the last look, 1 to 32 MB) in the background.
    // Nothing to do while the WAL only grows: its end is past the file's.
    void PrefetchAhead(int frames) {
        const long long end = kWalHeader + static_cast<long long>(frames) * frame_bytes_;
        const long long written = frames >= prefetch_frames_
                                      ? (frames - prefetch_frames_) * frame_bytes_
                                      : end;  // started over since
        prefetch_frames_ = frames;
        const int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return;  // no WAL file (yet)
        }
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > end) {
            const long long ahead = std::clamp(written * 4, kLeastAhead, kMostAhead);
            if (::posix_fadvise(fd, end, std::min<long long>(ahead, st.st_size - end),
                                POSIX_FADV_WILLNEED) == 0) {
                prefetches_.fetch_add(1);
            }
        }
        ::close(fd);
    }

    // Only RESTART waits on the busy handler (PASSIVE never does), and new writers wait behind
    // it meanwhile: its wait is short, not the pool's 10 s.
    static std::unique_ptr<soci::session> WithBusyTimeout(std::unique_ptr<soci::session> session,
                                                          std::chrono::milliseconds wait) {
        *session << "PRAGMA busy_timeout = " + std::to_string(wait.count());
        return session;
    }

    void Checkpoint(const char* mode, int& busy, int& frames, int& copied) {
        *session_ << std::string("PRAGMA wal_checkpoint(") + mode + ")", soci::into(busy),
            soci::into(frames), soci::into(copied);
    }

    // With no group writing (Hold): PASSIVE until everything is copied, then RESTART. RESTART
    // alone waits for the readers of an older snapshot on one lock at a time, and readers that
    // keep overlapping kept it waiting for its whole timeout while new readers took the same
    // lock; a PASSIVE looks at them afresh each time. Once everything is copied, new readers
    // read the database file alone, and RESTART only waits for those already in the WAL.
    // `busy` is 1 when the WAL could not be started over within restart_wait_.
    void Restart(int& busy, int& frames, int& copied) {
        const auto deadline = std::chrono::steady_clock::now() + restart_wait_;
        for (;;) {
            Checkpoint("PASSIVE", busy, frames, copied);
            if (copied >= frames) {
                Checkpoint("RESTART", busy, frames, copied);
                return;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                busy = 1;
                return;
            }
            // A reader of an older snapshot is still in the WAL: it ends within a request.
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }

    // Before a RESTART holds the writers: most of the copying and its fsyncs, while groups still
    // write. Each PASSIVE copies what came during the one before, so the writers then wait only
    // for the last pass's remainder. Passes go on while the remainder is large and still
    // shrinking: when writes outrun the copying, or a reader keeps the copy back, another pass
    // gains nothing. (SqliteCheckpointTest's writer, quiet machine: the median hold fell from
    // 21-22 to 12-18 ms; beside three busy loops, no change.) Returns the frames left.
    int CopyWhileWriting(int& busy, int& frames, int& copied) {
        constexpr int kFewEnough = 256;  // 1 MB: a few milliseconds of copying
        constexpr int kMostPasses = 8;
        Checkpoint("PASSIVE", busy, frames, copied);
        int left = frames - copied;
        for (int pass = 1; pass < kMostPasses && left > kFewEnough; ++pass) {
            Checkpoint("PASSIVE", busy, frames, copied);
            const int now_left = frames - copied;
            const bool shrinking = now_left < left;
            left = now_left;
            if (!shrinking) {
                break;
            }
        }
        return std::max(left, 0);
    }

    void Run() {
        bool failing = false;
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
            lock.unlock();
            // The hook gives the WAL's last frame; what the last checkpoint copied is
            // subtracted, unless the WAL has started over since (it is shorter than that).
            const int seen = wal_.frames.load(std::memory_order_relaxed);
            PrefetchAhead(seen);
            if (seen < copied_) {
                copied_ = 0;
                restart_at_ = restart_frames_;
            }
            try {
                if (seen - copied_ >= min_frames_) {
                    const bool restart = seen >= restart_at_;
                    int busy = 0, frames = 0, copied = 0;
                    if (restart) {
                        const int held_frames = CopyWhileWriting(busy, frames, copied);
                        writes_.Hold();
                        const auto held_from = std::chrono::steady_clock::now();
                        try {
                            Restart(busy, frames, copied);
                        } catch (...) {
                            writes_.Release();
                            throw;
                        }
                        writes_.Release();
                        const double held_ms = std::chrono::duration<double, std::milli>(
                                                   std::chrono::steady_clock::now() - held_from)
                                                   .count();
                        log::Info(busy == 0 ? "sqlite wal starts over"
                                            : "sqlite wal could not start over: readers stayed",
                                  {{"frames", static_cast<std::int64_t>(frames)},
                                   {"frames_left_for_the_hold",
                                    static_cast<std::int64_t>(held_frames)},
                                   {"writes_held_ms", held_ms}});
                    } else {
                        Checkpoint("PASSIVE", busy, frames, copied);
                    }
                    checkpoints_.fetch_add(1);
                    if (restart && busy == 0) {
                        restarts_.fetch_add(1);
                    } else if (restart) {
                        // Not again before the WAL has grown as much again: a reader that stays
                        // in the WAL must not hold the writers back at every look.
                        restart_at_ = seen > INT32_MAX - restart_frames_
                                          ? INT32_MAX
                                          : seen + restart_frames_;
                    }
                    copied_ = std::max(copied, 0);
                }
                failing = false;
            } catch (const std::exception& e) {
                if (!failing) {  // once per run of failures: it is tried again next interval
                    log::Warn("sqlite checkpoint failed", {{"error", e.what()}});
                    failing = true;
                }
            }
            looks_.fetch_add(1);
            lock.lock();
        }
    }

    std::unique_ptr<soci::session> session_;
    std::string wal_path_;
    long long frame_bytes_;
    int prefetch_frames_ = 0;  // the WAL's frames at the last PrefetchAhead
    std::chrono::milliseconds interval_;
    WalSize& wal_;
    WriteQueue& writes_;
    int min_frames_;
    int restart_frames_;
    std::chrono::milliseconds restart_wait_;
    int restart_at_ = restart_frames_;  // the WAL's size that calls for the next RESTART
    int copied_ = 0;  // frames the last checkpoint had copied
    std::atomic<std::uint64_t> looks_{0};
    std::atomic<std::uint64_t> checkpoints_{0};
    std::atomic<std::uint64_t> restarts_{0};
    std::atomic<std::uint64_t> prefetches_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the rest is ready
};

Database::~Database() {
    // The writer runs what is still queued (answering each), then ends, before the pool goes.
    WriteQueue& q = *writes_;
    {
        std::lock_guard lock(q.mutex);
        q.stopping = true;
        q.writer_wake.notify_one();
    }
    if (q.writer.joinable()) {
        q.writer.join();
    }
}

std::unique_ptr<Database> Database::Open(const std::string& url, std::size_t pool_size) {
    Options options;
    options.pool_size = pool_size;
    return Open(url, options);
}

std::unique_ptr<Database> Database::Open(const std::string& url, const Options& options) {
    ConnectionSpec spec = ParseDatabaseUrl(url);
    if (spec.kind == Kind::kSqlite) {
        const std::filesystem::path parent = std::filesystem::path(spec.sqlite_path).parent_path();
        if (!parent.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(parent, ec);
            if (ec) {
                log::Error("cannot create the database directory",
                           {{"path", parent.string()}, {"cause", ec.message()}});
                throw UnavailableError(std::string(kUnavailableMessage));
            }
        }
    } else if (spec.connect_string.find("connect_timeout=") == std::string::npos) {
        spec.connect_string +=
            " connect_timeout='" + std::to_string(options.postgres_connect_timeout.count()) + "'";
    }
    const Kind kind = spec.kind;
    std::unique_ptr<Database> db(new Database(kind, std::move(spec), options));
    // Fail at startup, not on the first request; the session goes into the pool.
    db->Acquire();
    // The same condition as OpenSession's wal_autocheckpoint = 0 (ParseSqliteUrl admits only
    // file paths): every session that leaves the WAL alone has a checkpointer behind it.
    if (kind == Kind::kSqlite && options.sqlite_checkpoint_interval.count() > 0) {
        db->checkpointer_ =
            std::make_unique<Checkpointer>(db->OpenSession(), db->spec_.sqlite_path + "-wal",
                                           options.sqlite_checkpoint_interval,
                                           *db->wal_size_, *db->writes_,
                                           options.sqlite_checkpoint_frames,
                                           options.sqlite_checkpoint_restart_frames,
                                           options.sqlite_checkpoint_restart_wait);
    }
    return db;
}

std::uint64_t Database::sqlite_wal_prefetches() const noexcept {
    return checkpointer_ ? checkpointer_->prefetches() : 0;
}

std::uint64_t Database::sqlite_checkpoint_looks() const noexcept {
    return checkpointer_ ? checkpointer_->looks() : 0;
}

std::uint64_t Database::sqlite_checkpoints() const noexcept {
    return checkpointer_ ? checkpointer_->checkpoints() : 0;
}

std::uint64_t Database::sqlite_group_lingers() const {
    std::lock_guard lock(writes_->mutex);
    return writes_->lingers;
}

std::uint64_t Database::sqlite_wal_restarts() const noexcept {
    return checkpointer_ ? checkpointer_->restarts() : 0;
}

namespace {

// Before the process's first SQLite connection: the pool hands a connection to one thread at a
// time, so SQLite's own per-connection mutexes ("serialized" mode, Debian's default) only cost
// (about a tenth of a GET /api/tickets/:id's CPU, issue 20); "multi-thread" mode drops them. Its
// allocation statistics take a global mutex on every malloc: off too. Both fail harmlessly
// (SQLITE_MISUSE) if SQLite was initialised already.
void ConfigureSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Links the statement cache's interposers into every program that opens a database.
        (void)SqliteStatementCache();
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    });
}

}  // namespace

std::unique_ptr<soci::session> Database::OpenSession() {
    auto session = std::make_unique<soci::session>();
    try {
        if (kind_ == Kind::kSqlite) {
            ConfigureSqliteOnce();
            session->open(soci::sqlite3, spec_.connect_string);
            // busy_timeout first: switching to WAL needs a lock another connection may hold.
            *session << "PRAGMA busy_timeout = " +
                            std::to_string(options_.sqlite_busy_timeout.count());
            std::string mode;
            *session << "PRAGMA journal_mode = WAL", soci::into(mode);
            if (mode != "wal") {
                log::Warn("sqlite did not switch to WAL journal mode", {{"journal_mode", mode}});
            }
            *session << "PRAGMA synchronous = NORMAL";
            *session << "PRAGMA foreign_keys = ON";
            if (options_.sqlite_checkpoint_interval.count() > 0) {
                // The Checkpointer copies the WAL back; no commit pays for it. The pragma
                // removes SQLite's own WAL hook; ours tells the Checkpointer the WAL's size.
                *session << "PRAGMA wal_autocheckpoint = 0";
                // Whichever connection starts the WAL over cuts its file back to this size.
                *session << "PRAGMA journal_size_limit = " +
                                std::to_string(std::max<std::size_t>(
                                    options_.sqlite_checkpoint_restart_frames, 1) * 4096);
                sqlite_api::sqlite3_wal_hook(
                    SqliteBackend(kind_, *session)->conn_, &WalSize::OnCommit, wal_size_.get());
            }
        } else {
            // Links the statement cache's interposers into every program that opens a database.
            (void)PostgresStatementCache();
            session->open(soci::postgresql, spec_.connect_string);
            PQsetNoticeProcessor(
                PostgresBackend(kind_, *session)->conn_, &LogPostgresNotice, nullptr);
        }
    } catch (const std::exception& e) {
        log::Error("cannot open a database session", {{"cause", e.what()}});
        throw UnavailableError(std::string(kUnavailableMessage));
    }
    return session;
}

Database::Lease Database::Acquire(std::chrono::milliseconds timeout) {
    Pool& pool = *pool_;
    std::unique_lock lock(pool.mutex);
    const bool ready = pool.available.wait_for(
        lock, timeout, [&] { return !pool.idle.empty() || pool.open < options_.pool_size; });
    if (!ready) {
        log::Warn("database pool exhausted", {{"pool_size", options_.pool_size}});
        throw UnavailableError(std::string(kUnavailableMessage));
    }
    // Sessions whose server hung up while they sat idle (a restart): closed after unlocking.
    std::vector<std::unique_ptr<soci::session>> dead;
    while (!pool.idle.empty()) {
        Pool::Idle idle = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (ClosedByServer(kind_, *idle.session)) {
            --pool.open;
            dead.push_back(std::move(idle.session));
            continue;
        }
        const bool just_used = std::chrono::steady_clock::now() - idle.since <
                               options_.postgres_join_begin_within;
        return Lease(this, std::move(idle.session), /*fresh=*/false, just_used);
    }
    ++pool.open;
    lock.unlock();
    try {
        return Lease(this, OpenSession(), /*fresh=*/true);
    } catch (...) {
        lock.lock();
        --pool.open;
        lock.unlock();
        pool.available.notify_one();
        throw;
    }
}

void Database::Release(std::unique_ptr<soci::session> session, bool broken) noexcept {
    if (!broken) {
        try {
            switch (TransactionState(kind_, *session)) {
                case TxState::kIdle:
                    break;
                case TxState::kOpen:
                    session->rollback();
                    broken = TransactionState(kind_, *session) != TxState::kIdle;
                    break;
                case TxState::kUnknown:
                    broken = true;
                    break;
            }
        } catch (const std::exception& e) {
            log::Warn("discarding a database session that cannot roll back", {{"cause", e.what()}});
            broken = true;
        }
    }
    std::unique_lock lock(pool_->mutex);
    if (broken) {
        --pool_->open;
        lock.unlock();
        session.reset();  // closes the connection outside the lock
    } else {
        pool_->idle.push_back({std::move(session), std::chrono::steady_clock::now()});
        lock.unlock();
    }
    pool_->available.notify_one();
}

Database::Lease Database::AcquireAndBegin() {
    // Every idle session may have died with the server, so try at most pool_size + 1 of them;
    // a freshly opened session that cannot begin means the database really is unavailable.
    for (std::size_t attempt = 0; attempt <= options_.pool_size; ++attempt) {
        Lease lease = Acquire();
        try {
            if (auto* pg = PostgresBackend(kind_, lease.session());
                pg != nullptr && pg->conn_ != nullptr && lease.just_used_) {
                BeginWithNextStatement(pg->conn_);
                return lease;
            }
            lease.session() << (kind_ == Kind::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
            return lease;
        } catch (const std::exception& e) {
            const bool lost = ConnectionLost(kind_, lease.session());
            if (lost || IsUnavailableError(e)) {
                lease.MarkBroken();
                if (lost && !lease.fresh_) {
                    continue;  // a stale pooled connection: try another one
                }
                log::Warn("cannot begin a database transaction", {{"cause", e.what()}});
                throw UnavailableError(std::string(kUnavailableMessage));
            }
            throw;
        }
    }
    log::Warn("cannot begin a database transaction", {{"cause", "every pooled session failed"}});
    throw UnavailableError(std::string(kUnavailableMessage));
}

void Database::Commit(Lease& lease) {
    if (auto* pg = PostgresBackend(kind_, lease.session());
        pg != nullptr && pg->conn_ != nullptr &&
        PQtransactionStatus(pg->conn_) == PQTRANS_INERROR) {
        // PostgreSQL would answer COMMIT with a silent ROLLBACK, while SQLite would commit the
        // statements before the failed one: refuse instead of diverging.
        throw std::logic_error(
            "transaction not committed: a statement failed inside it and the error was caught; "
            "let SQL errors escape Transaction (or avoid them with ON CONFLICT DO NOTHING)");
    }
    lease.session() << "COMMIT";
}

void Database::RollbackAndRethrow(Lease& lease, bool in_transaction) {
    soci::session& session = lease.session();
    bool unavailable = ConnectionLost(kind_, session);
    if (unavailable) {
        lease.MarkBroken();
    } else if (in_transaction && TransactionState(kind_, session) != TxState::kIdle) {
        try {
            session << "ROLLBACK";
        } catch (const std::exception& e) {
            log::Warn("rollback failed; discarding the session", {{"cause", e.what()}});
            lease.MarkBroken();
            unavailable = ConnectionLost(kind_, session);
        }
    }
    // Only the database's own errors are translated: what the callback threw for its own reasons
    // (a domain decision, an HTTP error) passes through as it is, like any non-SQL exception.
    try {
        throw;
    } catch (const soci::soci_error& e) {
        if (unavailable || IsUnavailableError(e)) {
            log::Warn("database unavailable", {{"cause", e.what()}});
            throw UnavailableError(std::string(kUnavailableMessage));
        }
        throw;
    }
}

bool Database::Ping(std::chrono::milliseconds timeout) noexcept {
    try {
        Lease lease = Acquire(timeout);
        try {
            int one = 0;
            lease.session() << "SELECT 1", soci::into(one);
            return one == 1;
        } catch (const std::exception& e) {
            if (ConnectionLost(kind_, lease.session()) || IsUnavailableError(e)) {
                lease.MarkBroken();
            }
            log::Warn("database ping failed", {{"cause", e.what()}});
            return false;
        }
    } catch (const std::exception& e) {
        log::Warn("database ping failed", {{"cause", e.what()}});
        return false;
    } catch (...) {
        log::Warn("database ping failed", {{"cause", "unknown exception"}});
        return false;
    }
}

void SendWithNextStatement(soci::session& tx) {
    // Called from code that has the session and not its Database (Outbox::AddEnvelope).
    if (tx.get_backend() != nullptr && tx.get_backend_name() == "postgresql") {
        if (auto* pg = PostgresBackend(DatabaseKind::kPostgres, tx); pg->conn_ != nullptr) {
            ::ticketing::db::SendWithNextStatement(pg->conn_);
        }
    }
}

}  // namespace ticketing::db

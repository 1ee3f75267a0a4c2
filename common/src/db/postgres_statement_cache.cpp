// A prepared-statement cache for every PostgreSQL connection of the process (issue 20).
//
// SOCI prepares a statement it will run more than once (`s.prepare << ...`: a ticket's SELECT,
// an order's UPDATE, the outbox's and the inbox's statements) under a new name each time, runs
// it, and deallocates it when the statement goes: three round trips, and the server parses and
// plans the text every time. With the log on, one GET /api/tickets/:id showed a parse of 0.26-0.43
// ms, a bind of 0.28-0.49 ms, an execute of 0.02-0.05 ms and a DEALLOCATE; PostgreSQL took a
// whole core at 4k GETs/s with two replicas.
//
// The cache sits under SOCI, by interposition, as the SQLite one does: this file defines
// PQprepare, PQexecPrepared, PQsendQueryPrepared, PQexecParams, PQexec, PQfinish and PQreset, which
// libsoci_postgresql (and our own code) calls; the executable's definitions come first in the
// dynamic linker's lookup order.
//   - PQprepare of a text this connection has already prepared (same text, same number of
//     parameters, types left to the server) answers "done" without a round trip, and records
//     SOCI's new name as another name for the statement prepared first.
//   - PQexecPrepared and PQsendQueryPrepared run the statement under the name it was prepared
//     with.
//   - PQexecParams (SOCI's one-time statements with values: `s << ... , use(x)`, parsed and
//     planned by the server on every run) runs a text as it is the first time a connection sees
//     it, and from the second time on prepares it once, under a name of its own, and runs it
//     prepared.
//   - PQexec("DEALLOCATE <name>") of such a name forgets the name, without a round trip; the
//     statement stays prepared on the server for the next prepare of the same text (SOCI never
//     uses a name twice, so the names it gives up are never asked for again).
//   - At most kPerConnection statements stay prepared per connection: beyond that the one unused
//     the longest is deallocated for real (one that has a name in use is never deallocated).
//   - PQfinish and PQreset forget the connection (a reset connection has no prepared statements);
//     DEALLOCATE ALL and DISCARD ALL forget its statements and go to the server.
// A prepared statement belongs to the session, not to a transaction: a rollback leaves it, and
// PostgreSQL plans it again by itself when a table it reads changes.
// Thread-safety: one mutex; a connection is used by one thread at a time (the pool).
#include <libpq-fe.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/db/postgres_statement_cache.hpp"

namespace ticketing::db {
namespace {

constexpr std::size_t kPerConnection = 64;
// One-time texts remembered per connection before the memory starts over.
constexpr std::size_t kSeenOnce = 1024;

struct Prepared {
    std::string text;
    int params = 0;
    std::string name;          // the name it was prepared with on the server
    int names_in_use = 0;      // SOCI's names for it not yet deallocated
    std::uint64_t last_use = 0;
};

// A prepared statement held back with copies of its values (text format; a null stays null),
// sent with the connection's next statement or with COMMIT.
struct Deferred {
    std::string name;
    std::vector<std::string> values;
    std::vector<bool> null;
};

struct Connection {
    std::vector<Prepared> prepared;
    std::unordered_map<std::string, std::string> name_of;  // SOCI's name -> the server's
    // Hashes of one-time texts run once: the second run prepares the text (a text run only once,
    // as one with values written into it, costs no extra round trip).
    std::unordered_set<std::size_t> seen_once;
    // BEGIN asked for (BeginWithNextStatement) and not yet sent.
    bool begin_pending = false;
    // SendWithNextStatement: the next statement is held, if it can be, and these are the ones
    // held (after BEGIN, before the statement that sends them).
    bool defer_next = false;
    std::vector<Deferred> deferred;
};

struct Cache {
    std::mutex mu;
    std::unordered_map<const PGconn*, Connection> connections;
    std::uint64_t tick = 0;
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::atomic<std::uint64_t> begins_joined{0};
    std::atomic<std::uint64_t> begins_unsent{0};
    std::atomic<std::uint64_t> statements_held{0};
};

Cache& TheCache() {
    static auto* cache = new Cache();  // never destroyed: connections may close at exit
    return *cache;
}

template <class F>
F Next(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

PGresult* RealExec(PGconn* conn, const char* command) {
    static const auto real = Next<PGresult* (*)(PGconn*, const char*)>("PQexec");
    return real(conn, command);
}

// The statement prepared on `state`'s connection for this text and number of parameters.
Prepared* Find(Connection& state, const char* text, int params) {
    for (auto& p : state.prepared) {
        if (p.params == params && p.text == text) {
            return &p;
        }
    }
    return nullptr;
}

// Records a statement just prepared on the server. At kPerConnection, the one unused the longest
// whose names are all given up makes room, and its name is returned to be deallocated; if every
// kept one has a name in use, the new one is not kept and false is returned.
bool Keep(Cache& c, Connection& state, Prepared prepared, std::string& evict) {
    if (state.prepared.size() >= kPerConnection) {
        auto victim = state.prepared.end();
        for (auto p = state.prepared.begin(); p != state.prepared.end(); ++p) {
            if (p->names_in_use == 0 &&
                (victim == state.prepared.end() || p->last_use < victim->last_use)) {
                victim = p;
            }
        }
        if (victim == state.prepared.end()) {
            return false;
        }
        evict = victim->name;
        state.prepared.erase(victim);
    }
    prepared.last_use = ++c.tick;
    state.prepared.push_back(std::move(prepared));
    return true;
}

// The statement to drop has no name in use; a failure (an aborted transaction) only leaves it on
// the server until the connection closes.
void Deallocate(PGconn* conn, const std::string& name) {
    if (!name.empty()) {
        PQclear(RealExec(conn, ("DEALLOCATE " + name).c_str()));
    }
}

void Forget(const PGconn* conn) {
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    c.connections.erase(conn);
}

// What waits to go with the connection's next statement: BEGIN, then statements held back.
struct Pending {
    bool begin = false;
    std::vector<Deferred> deferred;
    bool empty() const { return !begin && deferred.empty(); }
};

Pending TakePending(const PGconn* conn) {
    Pending out;
    if (conn == nullptr) {
        return out;
    }
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    auto it = c.connections.find(conn);
    if (it != c.connections.end()) {
        out.begin = std::exchange(it->second.begin_pending, false);
        out.deferred.swap(it->second.deferred);
        it->second.defer_next = false;
        for (const auto& d : out.deferred) {
            for (auto& p : it->second.prepared) {
                if (p.name == d.name) {
                    --p.names_in_use;  // held: not to be deallocated before it was sent
                }
            }
        }
    }
    return out;
}

// `f` applied to `conn`'s state under the cache's lock (it may change it); false for a
// connection the cache does not know.
template <class F>
bool WithState(const PGconn* conn, F f) {
    if (conn == nullptr) {
        return false;
    }
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    auto it = c.connections.find(conn);
    return it != c.connections.end() && f(it->second);
}

bool TakeDeferNext(const PGconn* conn) {
    return WithState(conn, [](Connection& s) { return std::exchange(s.defer_next, false); });
}

bool HasDeferred(const PGconn* conn) {
    return WithState(conn, [](Connection& s) { return !s.deferred.empty(); });
}

bool BeginPending(const PGconn* conn) {
    return WithState(conn, [](Connection& s) { return s.begin_pending; });
}

using SendParams = int (*)(PGconn*, const char*, int, const Oid*, const char* const*, const int*,
                           const int*, int);
using SendPrepared = int (*)(PGconn*, const char*, int, const char* const*, const int*, const int*,
                             int);
using SendPrepare = int (*)(PGconn*, const char*, const char*, int, const Oid*);

SendParams RealSendParams() {
    static const auto real = Next<SendParams>("PQsendQueryParams");
    return real;
}
SendPrepared RealSendPrepared() {
    static const auto real = Next<SendPrepared>("PQsendQueryPrepared");
    return real;
}
SendPrepare RealSendPrepare() {
    static const auto real = Next<SendPrepare>("PQsendPrepare");
    return real;
}

// Queues `pending` in pipeline mode: BEGIN, then each held statement with its values.
bool SendPending(PGconn* conn, const Pending& pending) {
    if (pending.begin &&
        RealSendParams()(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
        return false;
    }
    for (const auto& d : pending.deferred) {
        std::vector<const char*> values(d.values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            values[i] = d.null[i] ? nullptr : d.values[i].c_str();
        }
        if (RealSendPrepared()(conn, d.name.c_str(), static_cast<int>(values.size()),
                               values.empty() ? nullptr : values.data(), nullptr, nullptr,
                               0) != 1) {
            return false;
        }
    }
    return true;
}

// Sends what is pending on `conn` and the statement `send` queues in one round trip (libpq's
// pipeline mode, the extended protocol) and returns the statement's result, or the first error
// of what was pending (the statement then never ran: the transaction is aborted, as it would be
// had each gone on its own). Returns `exec()` (the call as it was) when nothing is pending. If
// the connection cannot enter pipeline mode (not expected: it is idle between statements), a
// pending BEGIN goes on its own first, and held statements make the call fail. FlushPending's
// `send` queues nothing: only what is pending goes, and the result is an error either way.
template <class Send, class Exec>
PGresult* WithPending(PGconn* conn, Send send, Exec exec) {
    Pending pending = TakePending(conn);
    if (pending.empty()) {
        return exec();
    }
    const std::size_t held = (pending.begin ? 1 : 0) + pending.deferred.size();
    if (PQenterPipelineMode(conn) != 1) {
        if (pending.begin) {
            PQclear(RealExec(conn, "BEGIN"));
        }
        // Not expected (pipeline mode needs only an idle connection): anything held is lost
        // here, so the statement is made to fail and the transaction with it.
        if (!pending.deferred.empty()) {
            return PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        }
        return exec();
    }
    std::vector<PGresult*> results(held + 1, nullptr);
    const bool sent = SendPending(conn, pending) && send(conn) == 1 && PQpipelineSync(conn) == 1;
    if (sent) {
        // Each query's results and a null, then the sync. A connection that breaks ends with an
        // error result and nulls.
        std::size_t query = 0;
        for (int guard = 0; guard < 4 * static_cast<int>(held + 1) + 64; ++guard) {
            PGresult* r = PQgetResult(conn);
            if (r == nullptr) {
                if (PQstatus(conn) == CONNECTION_BAD) {
                    break;
                }
                ++query;
                continue;
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            if (query < results.size() && results[query] == nullptr) {
                results[query] = r;
            } else {
                PQclear(r);
            }
        }
        if (pending.begin) {
            TheCache().begins_joined.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (PQexitPipelineMode(conn) != 1) {
        // Results left unread (a broken exchange): a connection left in pipeline mode would
        // refuse every later call, so it starts over (not in a transaction; the caller sees the
        // statement's error and rolls back).
        PQreset(conn);
    }
    PGresult* out = nullptr;
    for (std::size_t i = 0; i < held && out == nullptr; ++i) {
        const auto status = results[i] == nullptr ? PGRES_FATAL_ERROR
                                                  : PQresultStatus(results[i]);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            out = results[i] != nullptr ? std::exchange(results[i], nullptr)
                                        : PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        }
    }
    if (out == nullptr) {
        out = std::exchange(results[held], nullptr);  // PGRES_PIPELINE_ABORTED when one failed
        if (out == nullptr && sent) {
            // Nothing came back (the connection broke): an error with libpq's message.
            out = PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        }
    }
    for (PGresult* r : results) {
        PQclear(r);
    }
    return out;
}

// What is pending goes to the server on its own (for the calls that are not pipelined below):
// an error in it shows in the statement that follows (the transaction is aborted), whose
// message then says so rather than naming the held statement's own error.
void FlushPending(PGconn* conn) {
    PQclear(WithPending(conn, [](PGconn*) { return 1; }, [] { return nullptr; }));
}

// What COMMIT or ROLLBACK answers when BEGIN was never sent: nothing goes to the server.
PGresult* EmptyTransaction(PGconn* conn) {
    TheCache().begins_unsent.fetch_add(1, std::memory_order_relaxed);
    return PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
}

// COMMIT or ROLLBACK (and their synonyms) alone: the end of a transaction.
bool EndsTransaction(std::string_view text);
bool StartsWithWord(std::string_view s, std::string_view word);

// COMMIT or ROLLBACK (`text`, which EndsTransaction) on `conn`, `exec` being the call as it was.
// Statements held are sent with COMMIT, in one round trip (with BEGIN if it is still pending too);
// a ROLLBACK drops them, and a transaction whose BEGIN never went ends without a round trip.
template <class Exec>
PGresult* EndTransaction(PGconn* conn, std::string_view text, Exec exec) {
    const bool rollback = StartsWithWord(text, "ROLLBACK") || StartsWithWord(text, "ABORT");
    if (!rollback && HasDeferred(conn)) {
        return WithPending(
            conn,
            [](PGconn* c) {
                return RealSendParams()(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
            },
            exec);
    }
    if (TakePending(conn).begin) {
        return EmptyTransaction(conn);
    }
    return exec();
}

PGTransactionStatusType RealTransactionStatus(const PGconn* conn) {
    static const auto real =
        Next<PGTransactionStatusType (*)(const PGconn*)>("PQtransactionStatus");
    return real(conn);
}

// SendWithNextStatement's hold: the prepared statement `server_name` with its values is kept to
// go with the next statement, and "done" is answered at once. Only inside a transaction (a
// COMMIT is sure to come), and with values in text format. False: the statement runs now.
bool Hold(PGconn* conn,
          const std::string& server_name,
          int nparams,
          const char* const* values,
          const int* formats) {
    if (RealTransactionStatus(conn) != PQTRANS_INTRANS && !BeginPending(conn)) {
        return false;
    }
    Deferred d;
    d.name = server_name;
    for (int i = 0; i < nparams; ++i) {
        if (formats != nullptr && formats[i] != 0) {
            return false;
        }
        const bool null = values == nullptr || values[i] == nullptr;
        d.null.push_back(null);
        d.values.emplace_back(null ? "" : values[i]);
    }
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    auto& state = c.connections[conn];
    for (auto& p : state.prepared) {
        if (p.name == server_name) {
            ++p.names_in_use;
        }
    }
    state.deferred.push_back(std::move(d));
    c.statements_held.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// The server's name for SOCI's `name` on this connection, or `name` itself.
const char* ServerName(const PGconn* conn, const char* name, std::string& out) {
    if (conn == nullptr || name == nullptr) {
        return name;
    }
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    auto it = c.connections.find(conn);
    if (it == c.connections.end()) {
        return name;
    }
    auto found = it->second.name_of.find(name);
    if (found == it->second.name_of.end()) {
        return name;
    }
    out = found->second;
    return out.c_str();
}

// libpq's `run` (PQexecPrepared or PQsendQueryPrepared) with the server's name for `name`.
template <class Run>
auto RunUnderServerName(Run run, PGconn* conn, const char* name, int nparams,
                        const char* const* values, const int* lengths, const int* formats,
                        int result_format) {
    std::string server_name;
    return run(conn, ServerName(conn, name, server_name), nparams, values, lengths, formats,
               result_format);
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == ';' || s.back() == '\n' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool StartsWithWord(std::string_view s, std::string_view word) {
    if (s.size() < word.size()) {
        return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(s[i])) != word[i]) {
            return false;
        }
    }
    return s.size() == word.size() || s[word.size()] == ' ';
}

bool EndsTransaction(std::string_view text) {
    text = Trim(text);
    for (std::string_view word : {"COMMIT", "ROLLBACK", "END", "ABORT"}) {
        if (text.size() == word.size() && StartsWithWord(text, word)) {
            return true;
        }
    }
    return false;
}

}  // namespace

void SendWithNextStatement(pg_conn* conn) {
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    c.connections[conn].defer_next = true;
}

void BeginWithNextStatement(pg_conn* conn) {
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    c.connections[conn].begin_pending = true;
}

PostgresStatementCacheStats PostgresStatementCache() {
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    std::size_t kept = 0;
    for (const auto& [conn, state] : c.connections) {
        kept += state.prepared.size();
    }
    return {c.hits.load(),          c.misses.load(),        kept,
            c.begins_joined.load(), c.begins_unsent.load(), c.statements_held.load()};
}

}  // namespace ticketing::db

extern "C" {

PGresult* PQprepare(PGconn* conn,
                    const char* name,
                    const char* query,
                    int nparams,
                    const Oid* types) {
    using namespace ticketing::db;
    static const auto real =
        Next<PGresult* (*)(PGconn*, const char*, const char*, int, const Oid*)>("PQprepare");
    // Only named statements whose parameter types the server infers: those SOCI prepares.
    const bool cacheable =
        conn != nullptr && name != nullptr && name[0] != '\0' && query != nullptr && types == nullptr;
    if (cacheable) {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        auto it = c.connections.find(conn);
        if (it != c.connections.end()) {
            if (Prepared* p = Find(it->second, query, nparams)) {
                ++p->names_in_use;
                p->last_use = ++c.tick;
                it->second.name_of[name] = p->name;
                c.hits.fetch_add(1, std::memory_order_relaxed);
                return PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
            }
        }
    }
    PGresult* result = WithPending(
        conn,
        [&](PGconn* c) { return RealSendPrepare()(c, name, query, nparams, types); },
        [&] { return real(conn, name, query, nparams, types); });
    if (!cacheable || result == nullptr || PQresultStatus(result) != PGRES_COMMAND_OK) {
        return result;
    }
    std::string evict;
    {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        c.misses.fetch_add(1, std::memory_order_relaxed);
        auto& state = c.connections[conn];
        // If it is not kept, its DEALLOCATE goes to the server.
        if (Keep(c, state, Prepared{query, nparams, name, 1, 0}, evict)) {
            state.name_of[name] = name;
        }
    }
    Deallocate(conn, evict);
    return result;
}

// A one-time statement with parameters (SOCI's `s << ...` with `use`): the first run goes as it
// is; from the second on, the text is prepared once under a name of the cache's own ("tk_<n>")
// and run prepared. If preparing fails, its error is the run's (the same parse error the run
// would give, or a transaction already aborted).
PGresult* PQexecParams(PGconn* conn,
                       const char* command,
                       int nparams,
                       const Oid* types,
                       const char* const* values,
                       const int* lengths,
                       const int* formats,
                       int result_format) {
    using namespace ticketing::db;
    static const auto real = Next<PGresult* (*)(PGconn*, const char*, int, const Oid*,
                                                const char* const*, const int*, const int*, int)>(
        "PQexecParams");
    static const auto real_prepare =
        Next<PGresult* (*)(PGconn*, const char*, const char*, int, const Oid*)>("PQprepare");
    static const auto real_exec_prepared =
        Next<PGresult* (*)(PGconn*, const char*, int, const char* const*, const int*, const int*,
                           int)>("PQexecPrepared");
    static std::atomic<std::uint64_t> next_name{0};
    // The text as it is, after a pending BEGIN in the same round trip.
    const auto as_it_is = [&] {
        return WithPending(
            conn,
            [&](PGconn* c) {
                return RealSendParams()(c, command, nparams, types, values, lengths, formats,
                                        result_format);
            },
            [&] {
                return real(conn, command, nparams, types, values, lengths, formats,
                            result_format);
            });
    };
    if (conn != nullptr && command != nullptr && nparams <= 0 && EndsTransaction(command)) {
        return EndTransaction(conn, Trim(command), as_it_is);
    }
    const bool hold = TakeDeferNext(conn);
    if (conn == nullptr || command == nullptr || types != nullptr || nparams <= 0) {
        return as_it_is();
    }
    enum class Step { kAsItIs, kPrepared, kPrepare } step = Step::kAsItIs;
    std::string name;
    {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        auto& state = c.connections[conn];
        if (Prepared* p = Find(state, command, nparams)) {
            p->last_use = ++c.tick;
            name = p->name;
            c.hits.fetch_add(1, std::memory_order_relaxed);
            step = Step::kPrepared;
        } else if (state.seen_once.size() >= kSeenOnce) {
            state.seen_once.clear();
        }
        if (step == Step::kAsItIs &&
            !state.seen_once.insert(std::hash<std::string_view>{}(command)).second) {
            step = Step::kPrepare;
        }
    }
    if (step == Step::kAsItIs) {
        return as_it_is();
    }
    if (step == Step::kPrepared && hold && Hold(conn, name, nparams, values, formats)) {
        return PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
    }
    bool kept = true;
    if (step == Step::kPrepare) {
        name = "tk_" + std::to_string(++next_name);
        PGresult* prepared = WithPending(
            conn,
            [&](PGconn* c) { return RealSendPrepare()(c, name.c_str(), command, nparams, nullptr); },
            [&] { return real_prepare(conn, name.c_str(), command, nparams, nullptr); });
        if (prepared == nullptr) {
            return as_it_is();
        }
        if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
            // The error the run would have given (parsing and typing are the same), and inside a
            // transaction the one that aborted it: running the text now would only say that the
            // transaction is aborted.
            return prepared;
        }
        PQclear(prepared);
        std::string evict;
        {
            Cache& c = TheCache();
            std::lock_guard lock(c.mu);
            c.misses.fetch_add(1, std::memory_order_relaxed);
            kept = Keep(c, c.connections[conn], Prepared{command, nparams, name, 0, 0}, evict);
        }
        Deallocate(conn, evict);
    }
    PGresult* result = WithPending(
        conn,
        [&](PGconn* c) {
            return RealSendPrepared()(c, name.c_str(), nparams, values, lengths, formats,
                                      result_format);
        },
        [&] {
            return real_exec_prepared(conn, name.c_str(), nparams, values, lengths, formats,
                                      result_format);
        });
    if (!kept) {
        Deallocate(conn, name);  // every kept statement had a name in use
    }
    return result;
}

PGresult* PQexecPrepared(PGconn* conn,
                         const char* name,
                         int nparams,
                         const char* const* values,
                         const int* lengths,
                         const int* formats,
                         int result_format) {
    using namespace ticketing::db;
    static const auto real = Next<PGresult* (*)(PGconn*, const char*, int, const char* const*,
                                                const int*, const int*, int)>("PQexecPrepared");
    std::string server_name;
    const char* server = ServerName(conn, name, server_name);
    if (TakeDeferNext(conn) && server != nullptr &&
        Hold(conn, server, nparams, values, formats)) {
        return PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
    }
    return WithPending(
        conn,
        [&](PGconn* c) {
            return RealSendPrepared()(c, server, nparams, values, lengths, formats, result_format);
        },
        [&] { return real(conn, server, nparams, values, lengths, formats, result_format); });
}

int PQsendQueryPrepared(PGconn* conn,
                        const char* name,
                        int nparams,
                        const char* const* values,
                        const int* lengths,
                        const int* formats,
                        int result_format) {
    using namespace ticketing::db;
    FlushPending(conn);
    return RunUnderServerName(RealSendPrepared(), conn, name, nparams, values, lengths, formats,
                              result_format);
}

// The other asynchronous sends (SOCI's single-row mode) take a pending BEGIN on its own first:
// their caller reads the results itself.
int PQsendQuery(PGconn* conn, const char* command) {
    static const auto real = ticketing::db::Next<int (*)(PGconn*, const char*)>("PQsendQuery");
    ticketing::db::FlushPending(conn);
    return real(conn, command);
}

int PQsendQueryParams(PGconn* conn,
                      const char* command,
                      int nparams,
                      const Oid* types,
                      const char* const* values,
                      const int* lengths,
                      const int* formats,
                      int result_format) {
    ticketing::db::FlushPending(conn);
    return ticketing::db::RealSendParams()(conn, command, nparams, types, values, lengths,
                                           formats, result_format);
}

int PQsendPrepare(PGconn* conn, const char* name, const char* query, int nparams,
                  const Oid* types) {
    ticketing::db::FlushPending(conn);
    return ticketing::db::RealSendPrepare()(conn, name, query, nparams, types);
}

// In a transaction as soon as BEGIN is asked for, sent or not.
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
    static const auto real = ticketing::db::Next<PGTransactionStatusType (*)(const PGconn*)>(
        "PQtransactionStatus");
    if (conn != nullptr && ticketing::db::BeginPending(conn)) {
        return PQTRANS_INTRANS;
    }
    return real(conn);
}

PGresult* PQexec(PGconn* conn, const char* command) {
    using namespace ticketing::db;
    if (conn != nullptr && command != nullptr) {
        const std::string_view text = Trim(command);
        if (EndsTransaction(text)) {
            return EndTransaction(conn, text, [&] { return RealExec(conn, command); });
        }
        if (StartsWithWord(text, "DEALLOCATE")) {
            std::string_view target = Trim(text.substr(std::strlen("DEALLOCATE")));
            if (StartsWithWord(target, "PREPARE")) {
                target = Trim(target.substr(std::strlen("PREPARE")));
            }
            if (StartsWithWord(target, "ALL")) {
                FlushPending(conn);  // before the connection's state goes
                Forget(conn);
            } else {
                Cache& c = TheCache();
                std::lock_guard lock(c.mu);
                auto it = c.connections.find(conn);
                if (it != c.connections.end()) {
                    auto found = it->second.name_of.find(std::string(target));
                    if (found != it->second.name_of.end()) {
                        for (auto& p : it->second.prepared) {
                            if (p.name == found->second) {
                                --p.names_in_use;
                            }
                        }
                        it->second.name_of.erase(found);
                        return PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
                    }
                }
            }
        } else if (StartsWithWord(text, "DISCARD")) {
            FlushPending(conn);
            Forget(conn);
        }
    }
    // Statements held cannot join a simple query (it has no values): they go first, on their own.
    if (HasDeferred(conn)) {
        FlushPending(conn);
    }
    // A simple query may hold several statements: a pending BEGIN becomes the first of them,
    // and PQexec answers with the last one's result.
    if (command != nullptr && TakePending(conn).begin) {
        TheCache().begins_joined.fetch_add(1, std::memory_order_relaxed);
        return RealExec(conn, ("BEGIN;" + std::string(command)).c_str());
    }
    return RealExec(conn, command);
}

void PQfinish(PGconn* conn) {
    static const auto real = ticketing::db::Next<void (*)(PGconn*)>("PQfinish");
    ticketing::db::Forget(conn);
    real(conn);
}

void PQreset(PGconn* conn) {
    static const auto real = ticketing::db::Next<void (*)(PGconn*)>("PQreset");
    ticketing::db::Forget(conn);
    real(conn);
}

int PQresetStart(PGconn* conn) {
    static const auto real = ticketing::db::Next<int (*)(PGconn*)>("PQresetStart");
    ticketing::db::Forget(conn);
    return real(conn);
}

}  // extern "C"

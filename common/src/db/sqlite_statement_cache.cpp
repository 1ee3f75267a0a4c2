// A prepared-statement cache for every SQLite connection of the process (issue 20).
//
// SOCI prepares each statement it runs (sqlite3_prepare_v2) and finalizes it when done: a GET
// /api/tickets/:id compiled its SELECT every time, and a write compiled its INSERTs, SAVEPOINT
// and RELEASE inside the one-writer section. Compiling is more than half of what SQLite spends on
// a short statement (measured with Python's own statement cache on our schema: a ticket SELECT
// 28-31 us uncached, 11-12 us cached; a ticket insert with its outbox row 120-137 us against
// 93-95 us).
//
// The cache sits under SOCI, by interposition: this file defines sqlite3_prepare_v2,
// sqlite3_finalize and sqlite3_close, which libsoci_sqlite3 calls; the executable's definitions
// come first in the dynamic linker's lookup order. prepare hands out an idle statement already
// compiled for the same connection and the same SQL text when there is one; finalize resets the
// statement, clears its bindings and keeps it (up to kPerConnection per connection, the least
// recently used finalized for real beyond that); close finalizes a connection's kept statements
// before it closes. A kept statement is therefore exactly what a fresh prepare would give: reset
// (no open read snapshot, no pending row), nothing bound, recompiled by SQLite itself if the
// schema changed. Statements are handed out and kept whole, never shared: one in use is not in
// the cache. Thread-safety: one mutex; a connection is used by one thread at a time (the pool).
#include <sqlite3.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/db/sqlite_statement_cache.hpp"

namespace ticketing::db {
namespace {

constexpr std::size_t kPerConnection = 32;

// A kept statement and the length of its text (sqlite3_sql: the statement owns it, so keeping
// costs no copy).
struct Kept {
    sqlite3_stmt* stmt = nullptr;
    std::size_t length = 0;

    bool Is(std::string_view text) const {
        return length == text.size() && std::memcmp(sqlite3_sql(stmt), text.data(), length) == 0;
    }
};

struct Cache {
    std::mutex mu;
    // Per connection, least recently kept first.
    std::unordered_map<sqlite3*, std::vector<Kept>> kept;
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
};

Cache& TheCache() {
    static auto* cache = new Cache();  // never destroyed: statements may be finalized at exit
    return *cache;
}

template <class F>
F Next(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

int RealFinalize(sqlite3_stmt* stmt) {
    static const auto real = Next<int (*)(sqlite3_stmt*)>("sqlite3_finalize");
    return real(stmt);
}

// Before the connection closes: finalizes what it kept (sqlite3_close refuses a connection with
// statements left).
void FinalizeKeptOf(sqlite3* db) {
    std::vector<Kept> kept;
    {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        auto it = c.kept.find(db);
        if (it == c.kept.end()) {
            return;
        }
        kept = std::move(it->second);
        c.kept.erase(it);
    }
    for (const auto& k : kept) {
        RealFinalize(k.stmt);
    }
}

}  // namespace

SqliteStatementCacheStats SqliteStatementCache() {
    Cache& c = TheCache();
    std::lock_guard lock(c.mu);
    std::size_t kept = 0;
    for (const auto& [db, list] : c.kept) {
        kept += list.size();
    }
    return {c.hits.load(), c.misses.load(), kept};
}

}  // namespace ticketing::db

extern "C" {

int sqlite3_prepare_v2(sqlite3* db, const char* sql, int bytes, sqlite3_stmt** out,
                       const char** tail) {
    using namespace ticketing::db;
    const std::string_view text(sql != nullptr ? sql : "",
                                sql == nullptr ? 0
                                : bytes < 0    ? std::strlen(sql)
                                               : static_cast<std::size_t>(bytes));
    if (db != nullptr && sql != nullptr && out != nullptr) {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        auto it = c.kept.find(db);
        if (it != c.kept.end()) {
            auto& list = it->second;
            // The most recently kept first: a hot statement is near the back.
            for (auto k = list.rbegin(); k != list.rend(); ++k) {
                if (k->Is(text)) {
                    *out = k->stmt;
                    if (tail != nullptr) {
                        *tail = sql + text.size();  // the text was that one statement
                    }
                    list.erase(std::next(k).base());
                    c.hits.fetch_add(1, std::memory_order_relaxed);
                    return SQLITE_OK;
                }
            }
        }
    }
    const char* rest = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, bytes, 0, out, &rest);
    if (tail != nullptr) {
        *tail = rest;
    }
    if (rc == SQLITE_OK && out != nullptr && *out != nullptr) {
        TheCache().misses.fetch_add(1, std::memory_order_relaxed);
    }
    return rc;
}

int sqlite3_finalize(sqlite3_stmt* stmt) {
    using namespace ticketing::db;
    if (stmt == nullptr) {
        return SQLITE_OK;
    }
    sqlite3* db = sqlite3_db_handle(stmt);
    const char* sql = sqlite3_sql(stmt);
    if (db == nullptr || sql == nullptr) {
        return RealFinalize(stmt);
    }
    // sqlite3_finalize returns the error of the statement's last step, as sqlite3_reset does.
    const int rc = sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    Kept evicted;
    {
        Cache& c = TheCache();
        std::lock_guard lock(c.mu);
        auto& list = c.kept[db];
        // sqlite3_sql is the statement's own text, without what followed it: a text of several
        // statements is found again by its first one only if prepare was given just that.
        list.push_back(Kept{stmt, std::strlen(sql)});
        if (list.size() > kPerConnection) {
            evicted = std::move(list.front());
            list.erase(list.begin());
        }
    }
    if (evicted.stmt != nullptr) {
        RealFinalize(evicted.stmt);
    }
    return rc;
}

int sqlite3_close(sqlite3* db) {
    static const auto real = ticketing::db::Next<int (*)(sqlite3*)>("sqlite3_close");
    ticketing::db::FinalizeKeptOf(db);
    return real(db);
}

int sqlite3_close_v2(sqlite3* db) {
    static const auto real = ticketing::db::Next<int (*)(sqlite3*)>("sqlite3_close_v2");
    ticketing::db::FinalizeKeptOf(db);
    return real(db);
}

}  // extern "C"

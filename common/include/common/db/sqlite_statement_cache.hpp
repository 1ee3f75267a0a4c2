// The process's SQLite prepared-statement cache (common/src/db/sqlite_statement_cache.cpp):
// every connection's statements are kept when SOCI finalizes them and handed out again when the
// same connection prepares the same text. Nothing to call: it is on for every SQLite connection.
// Thread-safety: SqliteStatementCache may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ticketing::db {

struct SqliteStatementCacheStats {
    std::uint64_t hits = 0;    // prepares answered with a kept statement
    std::uint64_t misses = 0;  // prepares compiled
    std::size_t kept = 0;      // statements kept now, over every open connection
};

SqliteStatementCacheStats SqliteStatementCache();

}  // namespace ticketing::db

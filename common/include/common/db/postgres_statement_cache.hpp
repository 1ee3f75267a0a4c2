// The process's PostgreSQL prepared-statement cache (common/src/db/postgres_statement_cache.cpp):
// a text a connection has prepared stays prepared when SOCI deallocates it, and SOCI's next
// prepare of the same text on the same connection reuses it, with no round trip. Nothing to call:
// it is on for every PostgreSQL connection.
// Thread-safety: PostgresStatementCache may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ticketing::db {

struct PostgresStatementCacheStats {
    std::uint64_t hits = 0;    // prepares answered with a statement already prepared
    std::uint64_t misses = 0;  // prepares sent to the server and kept
    std::size_t kept = 0;      // statements kept prepared now, over every open connection
};

PostgresStatementCacheStats PostgresStatementCache();

}  // namespace ticketing::db

// The process's PostgreSQL prepared-statement cache (common/src/db/postgres_statement_cache.cpp):
// a text a connection has prepared stays prepared when SOCI deallocates it, and SOCI's next
// prepare of the same text on the same connection reuses it, with no round trip. Nothing to call:
// it is on for every PostgreSQL connection.
// Thread-safety: PostgresStatementCache may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

struct pg_conn;  // libpq's PGconn

namespace ticketing::db {

struct PostgresStatementCacheStats {
    std::uint64_t hits = 0;    // prepares answered with a statement already prepared
    std::uint64_t misses = 0;  // prepares sent to the server and kept
    std::size_t kept = 0;      // statements kept prepared now, over every open connection
    // BeginWithNextStatement: BEGINs sent in one round trip with the statement after them, and
    // transactions that ended before any statement (nothing sent).
    std::uint64_t begins_joined = 0;
    std::uint64_t begins_unsent = 0;
    // SendWithNextStatement: statements held and sent with a later one.
    std::uint64_t statements_held = 0;
};

PostgresStatementCacheStats PostgresStatementCache();

// Opens a transaction on `conn` without a round trip of its own: BEGIN goes to the server
// together with the connection's next statement (one round trip for both, libpq's pipeline
// mode), and a COMMIT or ROLLBACK that comes first ends the transaction without going to the
// server at all. Meanwhile PQtransactionStatus says PQTRANS_INTRANS. A statement that fails
// because BEGIN failed returns BEGIN's error.
void BeginWithNextStatement(pg_conn* conn);

// Inside a transaction on `conn`: the connection's next statement, if it is one this cache has
// prepared, is not sent at once but held, answered "done" (no rows, no count), and sent in one
// round trip with the statement after it, or with COMMIT (a ROLLBACK drops it). For a statement
// whose answer nobody reads, such as an INSERT into the outbox: if it fails, the statement it
// went with (or COMMIT) returns its error instead, and the transaction is rolled back as it would
// have been. Outside a transaction, or for a statement not prepared yet, nothing changes.
void SendWithNextStatement(pg_conn* conn);

}  // namespace ticketing::db

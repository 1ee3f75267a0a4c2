// Schema migrations: numbered SQL files (NNNN_name.sql in each service's migrations/), embedded
// into the binary by ticketing_embed_migrations (cmake/TicketingHelpers.cmake) and applied by
// RunMigrations at startup, before the service serves anything (DESIGN.md section 7).
// Thread-safety: RunMigrations may run concurrently from several threads or processes against
// one database (replicas starting together); it serialises itself (PostgreSQL advisory lock,
// SQLite BEGIN IMMEDIATE) and each migration is applied once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ticketing::db {

class Database;

// One migration file. Aggregate on purpose: the generated code initialises it as
// {version, "name", R"ticketing_sql(...)ticketing_sql"} and the strings are static.
struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// Creates schema_migrations(version, name, applied_at) if needed and applies, in version order,
// each migration not yet recorded there: its statements and its schema_migrations row commit in
// one transaction, so a failing migration leaves nothing behind. Throws std::runtime_error (and
// applies nothing) when the database records a version this binary does not know (a newer
// binary migrated it), a recorded name differs from the file's, or a known version is missing
// below the highest applied one; std::invalid_argument for duplicate or non-positive versions.
void RunMigrations(Database& db, const std::vector<Migration>& migrations);

// Splits a migration file into statements on top-level ';' (SOCI's SQLite backend runs only the
// first statement of a string). Semicolons inside 'strings' (with '' escapes), "identifiers",
// -- line comments, /* block comments */ and PostgreSQL $tag$ dollar quotes $tag$ do not split.
// Statements are trimmed; empty and comment-only ones are dropped. Not supported (not portable
// anyway): SQLite CREATE TRIGGER ... BEGIN ...; END bodies, nested block comments.
std::vector<std::string> SplitSqlStatements(std::string_view sql);

}  // namespace ticketing::db

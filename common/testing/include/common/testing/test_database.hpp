// OpenTestDatabase: a fresh database with common's outbox and inbox tables and a service's own
// migrations, for the integration tests that run the same suite on both backends: a SQLite file
// `<name>.db` in `dir`, or a database of its own on the process's shared PostgreSQL
// (PostgresServer::Shared, started on first use).
// Thread-safety: safe from any thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/db/database.hpp"
#include "common/db/migrations.hpp"

namespace ticketing::test {

std::unique_ptr<db::Database> OpenTestDatabase(bool postgres,
                                               const std::filesystem::path& dir,
                                               const std::string& name,
                                               const std::vector<db::Migration>& own_migrations);

}  // namespace ticketing::test

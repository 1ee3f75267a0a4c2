// OpenTestDatabase: a fresh database with common's outbox and inbox tables and a service's own
// migrations, for the integration tests that run the same suite on both backends: a SQLite file
// `<name>.db` in `dir`, or a database of its own on the process's shared PostgreSQL
// (PostgresServer::Shared, started on first use).
// SqlStorage: the environment a repository contract suite runs in on SQL (see
// common/testing/tickets/ticket_repository_contract.hpp):
//
//     using Backends = ::testing::Types<SqlStorage<tickets::SqlTicketsTransactions, false,
//                                                  &tickets::Migrations>, ...<..., true, ...>>;
//
// Thread-safety: OpenTestDatabase is safe from any thread; a SqlStorage belongs to one test.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/db/database.hpp"
#include "common/db/migrations.hpp"
#include "common/testing/process.hpp"

namespace ticketing::test {

std::unique_ptr<db::Database> OpenTestDatabase(bool postgres,
                                               const std::filesystem::path& dir,
                                               const std::string& name,
                                               const std::vector<db::Migration>& own_migrations);

// A migrated database and a service's SQL unit-of-work runner on it (no relay to wake).
template <class Transactions, bool kPostgres, const std::vector<db::Migration>& (*kMigrations)()>
struct SqlStorage {
    SqlStorage()
        : db(OpenTestDatabase(kPostgres, dir.Path(), "storage", kMigrations())),
          transactions(*db, nullptr) {}

    Transactions& runner() { return transactions; }

    TempDir dir;
    std::unique_ptr<db::Database> db;
    Transactions transactions;
};

}  // namespace ticketing::test

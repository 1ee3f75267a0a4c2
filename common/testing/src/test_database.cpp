#include "common/testing/test_database.hpp"

#include "common/bus/outbox.hpp"
#include "common/testing/postgres_server.hpp"

namespace ticketing::test {

std::unique_ptr<db::Database> OpenTestDatabase(bool postgres,
                                               const std::filesystem::path& dir,
                                               const std::string& name,
                                               const std::vector<db::Migration>& own_migrations) {
    std::string url = "sqlite://" + (dir / (name + ".db")).string();
    if (postgres) {
        auto& pg = PostgresServer::Shared();
        url = pg.Url(pg.CreateUniqueDatabase(name));
    }
    auto db = db::Database::Open(url);
    db::RunMigrations(*db, bus::WithBusMigrations(postgres, own_migrations));
    return db;
}

}  // namespace ticketing::test

#include "common/db/migrations.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/db/sql.hpp"
#include "common/testing/process.hpp"

namespace ticketing::db {
namespace {

using Applied = std::vector<std::pair<long long, std::string>>;

const std::vector<Migration> kTwoMigrations = {
    {1,
     "create_users",
     "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL);\n"
     "CREATE UNIQUE INDEX users_email ON users (email);"},
    {2, "add_created_at", "-- times are epoch ms\nALTER TABLE users ADD COLUMN created_at BIGINT;"},
};

class RunMigrationsTest : public ::testing::Test {
protected:
    void SetUp() override { db_ = Database::Open("sqlite://" + (dir_.Path() / "m.db").string()); }

    Applied AppliedVersions() {
        return db_->WithSession([](soci::session& s) {
            Applied applied;
            long long version = 0;
            std::string name;
            soci::statement st = (s.prepare << "SELECT version, name FROM schema_migrations "
                                               "ORDER BY version",
                                  soci::into(version),
                                  soci::into(name));
            st.execute();
            while (st.fetch()) {
                applied.emplace_back(version, name);
            }
            return applied;
        });
    }

    bool TableExists(const std::string& table) {
        return db_->WithSession([&](soci::session& s) {
            int n = 0;
            s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t",
                soci::use(table), soci::into(n);
            return n == 1;
        });
    }

    test::TempDir dir_;
    std::unique_ptr<Database> db_;
};

TEST_F(RunMigrationsTest, AppliesAllInOrderAndRecordsThem) {
    RunMigrations(*db_, kTwoMigrations);

    EXPECT_EQ(AppliedVersions(), (Applied{{1, "create_users"}, {2, "add_created_at"}}));
    db_->Transaction([](soci::session& s) {
        s << "INSERT INTO users (id, email, created_at) VALUES ('u1', 'a@b.c', 1)";
    });
}

TEST_F(RunMigrationsTest, AppliesInVersionOrderWhateverTheListOrder) {
    const std::vector<Migration> reversed = {kTwoMigrations[1], kTwoMigrations[0]};

    RunMigrations(*db_, reversed);

    EXPECT_EQ(AppliedVersions(), (Applied{{1, "create_users"}, {2, "add_created_at"}}));
}

TEST_F(RunMigrationsTest, SecondRunIsANoOp) {
    RunMigrations(*db_, kTwoMigrations);
    const Applied first = AppliedVersions();

    RunMigrations(*db_, kTwoMigrations);

    EXPECT_EQ(AppliedVersions(), first);
}

TEST_F(RunMigrationsTest, AppliesOnlyNewMigrations) {
    RunMigrations(*db_, {kTwoMigrations[0]});

    RunMigrations(*db_, kTwoMigrations);

    EXPECT_EQ(AppliedVersions(), (Applied{{1, "create_users"}, {2, "add_created_at"}}));
}

TEST_F(RunMigrationsTest, FailingMigrationIsRolledBackEntirely) {
    RunMigrations(*db_, {kTwoMigrations[0]});
    const std::vector<Migration> with_bad = {
        kTwoMigrations[0],
        {2, "half_broken", "CREATE TABLE orders (id TEXT PRIMARY KEY); CREATE TABLE oops ("},
    };

    EXPECT_THROW(RunMigrations(*db_, with_bad), std::runtime_error);

    EXPECT_EQ(AppliedVersions(), (Applied{{1, "create_users"}}));
    EXPECT_FALSE(TableExists("orders"));
}

TEST_F(RunMigrationsTest, FailureMessageNamesTheMigration) {
    const std::vector<Migration> bad = {{3, "broken", "CREATE TABLE ("}};

    try {
        RunMigrations(*db_, bad);
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("3_broken"), std::string::npos) << e.what();
    }
}

TEST_F(RunMigrationsTest, RefusesDatabaseMigratedByNewerBinary) {
    RunMigrations(*db_, kTwoMigrations);

    EXPECT_THROW(RunMigrations(*db_, {kTwoMigrations[0]}), std::runtime_error);
}

TEST_F(RunMigrationsTest, RefusesRenamedMigration) {
    RunMigrations(*db_, {kTwoMigrations[0]});
    const std::vector<Migration> renamed = {{1, "create_people", kTwoMigrations[0].sql}};

    EXPECT_THROW(RunMigrations(*db_, renamed), std::runtime_error);
}

TEST_F(RunMigrationsTest, RefusesToApplyOutOfOrder) {
    RunMigrations(*db_, {kTwoMigrations[0]});
    const std::vector<Migration> later = {kTwoMigrations[0],
                                          {3, "third", "CREATE TABLE c (x INTEGER)"}};
    RunMigrations(*db_, later);
    const std::vector<Migration> with_gap_filled = {
        kTwoMigrations[0], {2, "second", "CREATE TABLE b (x INTEGER)"}, later[1]};

    EXPECT_THROW(RunMigrations(*db_, with_gap_filled), std::runtime_error);
    EXPECT_FALSE(TableExists("b"));
}

TEST_F(RunMigrationsTest, RejectsDuplicateVersions) {
    const std::vector<Migration> duplicated = {kTwoMigrations[0], {1, "again", "SELECT 1"}};

    EXPECT_THROW(RunMigrations(*db_, duplicated), std::invalid_argument);
}

TEST_F(RunMigrationsTest, EmptyListCreatesOnlyTheHistoryTable) {
    RunMigrations(*db_, {});

    EXPECT_TRUE(TableExists("schema_migrations"));
    EXPECT_TRUE(AppliedVersions().empty());
}

}  // namespace
}  // namespace ticketing::db

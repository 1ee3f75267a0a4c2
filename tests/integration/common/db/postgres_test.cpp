// PostgreSQL-only behaviour of Database: the server going away and coming back, and a transaction
// aborted by a caught error. Each test starts its own server, since some stop it.
#include <stdexcept>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/db/sql.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"

namespace ticketing::db {
namespace {

class PostgresDatabaseTest : public ::testing::Test {
protected:
    void SetUp() override {
        url_ = server_.Url(server_.CreateUniqueDatabase("outage"));
        db_ = Database::Open(url_, 4);
        db_->Transaction([](soci::session& s) { s << "CREATE TABLE t (x BIGINT NOT NULL)"; });
    }

    void Insert(long long x) {
        db_->Transaction([x](soci::session& s) { s << "INSERT INTO t VALUES (:x)", soci::use(x); });
    }

    long long Count() {
        return db_->WithSession([](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(*) FROM t", soci::into(n);
            return n;
        });
    }

    test::PostgresServer server_;
    std::string url_;
    std::unique_ptr<Database> db_;
};

TEST_F(PostgresDatabaseTest, PingIsFalseWhileServerIsDown) {
    ASSERT_TRUE(db_->Ping());

    server_.Stop();

    EXPECT_FALSE(db_->Ping());
}

TEST_F(PostgresDatabaseTest, TransactionIsUnavailableWhileServerIsDown) {
    Insert(1);  // the pool now holds a live session

    server_.Stop();

    EXPECT_THROW(Insert(2), UnavailableError);
    EXPECT_THROW(Count(), UnavailableError);
}

TEST_F(PostgresDatabaseTest, PoolReplacesStaleSessionsAfterServerRestart) {
    Insert(1);  // the pool now holds a session whose connection the restart will break
    server_.Stop();
    server_.Start();

    Insert(2);  // no 503: the stale session is replaced before anything runs on it

    EXPECT_EQ(Count(), 2);
    EXPECT_TRUE(db_->Ping());
}

TEST_F(PostgresDatabaseTest, ReadsSucceedAfterServerRestart) {
    Insert(1);
    server_.Stop();
    server_.Start();

    const long long n = Count();  // WithSession: nothing retries, the pool must not hand out
                                  // the dead session
    EXPECT_EQ(n, 1);
}

TEST_F(PostgresDatabaseTest, TransactionThatCaughtAnSqlErrorIsNotCommitted) {
    EXPECT_THROW(db_->Transaction([](soci::session& s) {
        s << "INSERT INTO t VALUES (1)";
        try {
            s << "INSERT INTO t VALUES (NULL)";  // NOT NULL: aborts the transaction
        } catch (const soci::soci_error&) {
            // carrying on is the mistake under test
        }
    }),
                 std::logic_error);

    EXPECT_EQ(Count(), 0);
}

TEST(PostgresOpenTest, OpenIsUnavailableWhenNothingListens) {
    const std::string url =
        "postgresql://ticketing@127.0.0.1:" + std::to_string(test::FreePort()) + "/none";

    EXPECT_THROW(Database::Open(url), UnavailableError);
}

}  // namespace
}  // namespace ticketing::db

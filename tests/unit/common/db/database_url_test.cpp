#include <stdlib.h>

#include <stdexcept>

#include <gtest/gtest.h>

#include "common/db/database.hpp"

namespace ticketing::db {
namespace {

TEST(ParseDatabaseUrlTest, SqliteAbsolutePath) {
    const ConnectionSpec spec = ParseDatabaseUrl("sqlite:///var/lib/ticketing/orders.db");

    EXPECT_EQ(spec.kind, DatabaseKind::kSqlite);
    EXPECT_EQ(spec.sqlite_path, "/var/lib/ticketing/orders.db");
    EXPECT_EQ(spec.connect_string, "/var/lib/ticketing/orders.db");
}

TEST(ParseDatabaseUrlTest, SqliteRelativePath) {
    const ConnectionSpec spec = ParseDatabaseUrl("sqlite://data/orders.db");

    EXPECT_EQ(spec.kind, DatabaseKind::kSqlite);
    EXPECT_EQ(spec.sqlite_path, "data/orders.db");
}

TEST(ParseDatabaseUrlTest, SqliteDecodesPercentEscapes) {
    const ConnectionSpec spec = ParseDatabaseUrl("sqlite:///tmp/my%20data/x.db");

    EXPECT_EQ(spec.sqlite_path, "/tmp/my data/x.db");
}

TEST(ParseDatabaseUrlTest, SqliteRejectsMissingPath) {
    EXPECT_THROW(ParseDatabaseUrl("sqlite://"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("sqlite:///"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, SqliteRejectsPathsSociWouldMisread) {
    EXPECT_THROW(ParseDatabaseUrl("sqlite:///tmp/a=b.db"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("sqlite://:memory:"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, PostgresUserHostPortDbname) {
    const ConnectionSpec spec = ParseDatabaseUrl("postgresql://ticketing@127.0.0.1:5433/orders");

    EXPECT_EQ(spec.kind, DatabaseKind::kPostgres);
    EXPECT_EQ(spec.connect_string, "user='ticketing' host='127.0.0.1' port='5433' dbname='orders'");
}

// Where a one-row read runs depends on it (HTTP_INLINE_READS=auto): on this machine a read
// waits for no network.
TEST(ParseDatabaseUrlTest, TellsADatabaseOnThisMachineFromOneAcrossTheNetwork) {
    EXPECT_TRUE(ParseDatabaseUrl("sqlite:///var/lib/ticketing/orders.db").on_this_machine);
    for (const char* local : {"postgresql://ticketing@127.0.0.1:5433/orders",
                              "postgresql://ticketing@127.0.0.2/orders",
                              "postgresql://ticketing@localhost/orders",
                              "postgresql://ticketing@[::1]:5432/orders",
                              "postgresql://ticketing@db.internal/orders?host=%2Frun%2Fpostgresql",
                              "postgresql://ticketing@localhost/orders?hostaddr=127.0.0.1",
                              "postgresql://ticketing@/orders?host=localhost,%2Ftmp"}) {
        EXPECT_TRUE(ParseDatabaseUrl(local).on_this_machine) << local;
    }
    for (const char* remote : {"postgresql://ticketing@db.internal/orders",
                               "postgresql://ticketing@10.0.0.5:5432/orders",
                               "postgresql://ticketing@[fd00::5]/orders",
                               "postgresql://ticketing@localhost/orders?hostaddr=10.0.0.5",
                               "postgresql://ticketing@/orders?host=localhost,db.internal",
                               "postgresql://ticketing@localhost.example.com/orders",
                               "postgresql://ticketing@127.example.com/orders"}) {
        EXPECT_FALSE(ParseDatabaseUrl(remote).on_this_machine) << remote;
    }
}

TEST(ParseDatabaseUrlTest, APostgresUrlWithoutAHostIsWhereLibpqsEnvironmentSays) {
    const char* kNoHost = "postgresql://ticketing@/orders";
    ::unsetenv("PGHOST");
    ::unsetenv("PGHOSTADDR");
    EXPECT_TRUE(ParseDatabaseUrl(kNoHost).on_this_machine);  // the default Unix socket
    ::setenv("PGHOST", "/var/run/postgresql", 1);
    EXPECT_TRUE(ParseDatabaseUrl(kNoHost).on_this_machine);
    ::setenv("PGHOST", "db.internal", 1);
    EXPECT_FALSE(ParseDatabaseUrl(kNoHost).on_this_machine);
    // A host in the URL wins over the environment.
    EXPECT_TRUE(ParseDatabaseUrl("postgresql://ticketing@127.0.0.1/orders").on_this_machine);
    ::unsetenv("PGHOST");
    ::setenv("PGHOSTADDR", "10.0.0.5", 1);
    EXPECT_FALSE(ParseDatabaseUrl(kNoHost).on_this_machine);
    ::unsetenv("PGHOSTADDR");
}

TEST(ParseDatabaseUrlTest, PostgresPasswordIsDecodedAndQuoted) {
    const ConnectionSpec spec = ParseDatabaseUrl("postgres://app:p%40ss'w\\d@db.internal/tickets");

    EXPECT_EQ(spec.connect_string,
              R"(user='app' password='p@ss\'w\\d' host='db.internal' dbname='tickets')");
}

TEST(ParseDatabaseUrlTest, PostgresQueryParametersPassThroughAndOverride) {
    const ConnectionSpec spec = ParseDatabaseUrl(
        "postgresql://ticketing@localhost/orders?host=%2Fvar%2Frun%2Fpostgresql&sslmode=disable");

    EXPECT_EQ(spec.connect_string,
              "user='ticketing' host='/var/run/postgresql' dbname='orders' sslmode='disable'");
}

TEST(ParseDatabaseUrlTest, PostgresSocketDirectoryWithoutAuthorityHost) {
    const ConnectionSpec spec = ParseDatabaseUrl("postgresql:///orders?host=/tmp/pg&port=5999");

    EXPECT_EQ(spec.connect_string, "dbname='orders' host='/tmp/pg' port='5999'");
}

TEST(ParseDatabaseUrlTest, PostgresIpv6Host) {
    const ConnectionSpec spec = ParseDatabaseUrl("postgresql://u@[::1]:6000/db");

    EXPECT_EQ(spec.connect_string, "user='u' host='::1' port='6000' dbname='db'");
}

TEST(ParseDatabaseUrlTest, PostgresRejectsMissingDbname) {
    EXPECT_THROW(ParseDatabaseUrl("postgresql://ticketing@127.0.0.1:5432"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("postgresql://ticketing@127.0.0.1:5432/"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, PostgresRejectsBadPort) {
    EXPECT_THROW(ParseDatabaseUrl("postgresql://h:70000/db"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("postgresql://h:abc/db"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, PostgresRejectsBadParameterName) {
    EXPECT_THROW(ParseDatabaseUrl("postgresql://h/db?x y=1"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("postgresql://h/db?novalue"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, RejectsUnknownScheme) {
    EXPECT_THROW(ParseDatabaseUrl("mysql://u@h/db"), std::invalid_argument);
    EXPECT_THROW(ParseDatabaseUrl("/just/a/path.db"), std::invalid_argument);
}

TEST(ParseDatabaseUrlTest, ErrorDoesNotEchoPassword) {
    try {
        ParseDatabaseUrl("postgresql://u:secretpw@h:99999/db");
        FAIL() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("secretpw"), std::string::npos);
    }
}

}  // namespace
}  // namespace ticketing::db

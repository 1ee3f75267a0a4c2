#include <gtest/gtest.h>

#include "common/db/migrations.hpp"

namespace ticketing::db {
namespace {

using Statements = std::vector<std::string>;

TEST(SplitSqlStatementsTest, SplitsOnTopLevelSemicolons) {
    const Statements result =
        SplitSqlStatements("CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y TEXT);");

    EXPECT_EQ(result, (Statements{"CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y TEXT)"}));
}

TEST(SplitSqlStatementsTest, KeepsLastStatementWithoutSemicolon) {
    const Statements result = SplitSqlStatements("SELECT 1;  SELECT 2  \n");

    EXPECT_EQ(result, (Statements{"SELECT 1", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, IgnoresSemicolonsInStringLiterals) {
    const Statements result =
        SplitSqlStatements("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 1");

    EXPECT_EQ(result, (Statements{"INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 1"}));
}

TEST(SplitSqlStatementsTest, IgnoresSemicolonsInQuotedIdentifiers) {
    const Statements result = SplitSqlStatements(R"(CREATE TABLE "odd;name" ("a""b;" INTEGER);)");

    EXPECT_EQ(result, (Statements{R"(CREATE TABLE "odd;name" ("a""b;" INTEGER))"}));
}

TEST(SplitSqlStatementsTest, IgnoresSemicolonsInLineComments) {
    const Statements result = SplitSqlStatements("SELECT 1 -- one; two\n;SELECT 2");

    EXPECT_EQ(result, (Statements{"SELECT 1 -- one; two", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, IgnoresSemicolonsInBlockComments) {
    const Statements result = SplitSqlStatements("SELECT /* a; b */ 1; SELECT 2");

    EXPECT_EQ(result, (Statements{"SELECT /* a; b */ 1", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, DropsEmptyAndCommentOnlyStatements) {
    const Statements result =
        SplitSqlStatements("-- header\n;;  ; /* nothing */ ; SELECT 1; -- trailer\n");

    EXPECT_EQ(result, (Statements{"SELECT 1"}));
}

TEST(SplitSqlStatementsTest, IgnoresSemicolonsInDollarQuotes) {
    const Statements result =
        SplitSqlStatements("DO $body$ BEGIN PERFORM 1; END $body$; SELECT $$a;b$$");

    EXPECT_EQ(result, (Statements{"DO $body$ BEGIN PERFORM 1; END $body$", "SELECT $$a;b$$"}));
}

TEST(SplitSqlStatementsTest, TreatsPositionalParametersAsPlainText) {
    const Statements result = SplitSqlStatements("SELECT $1; SELECT 2");

    EXPECT_EQ(result, (Statements{"SELECT $1", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, ReturnsNothingForBlankInput) {
    EXPECT_TRUE(SplitSqlStatements(" \n\t ").empty());
}

TEST(SplitSqlStatementsTest, KeepsUnterminatedStringInOneStatement) {
    const Statements result = SplitSqlStatements("SELECT 'abc; def");

    EXPECT_EQ(result, (Statements{"SELECT 'abc; def"}));
}

}  // namespace
}  // namespace ticketing::db

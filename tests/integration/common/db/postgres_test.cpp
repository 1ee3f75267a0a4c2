// PostgreSQL-only behaviour of Database: the server going away and coming back, and a transaction
// aborted by a caught error. Each test starts its own server, since some stop it.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/db/postgres_statement_cache.hpp"
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

// On PostgreSQL, TransactionAsync does not queue: it runs the transaction on the caller's
// thread and answers before returning; a failure is the answer's, not an exception.
TEST_F(PostgresDatabaseTest, TransactionAsyncRunsNowAndAnswersBeforeReturning) {
    bool answered = false;
    std::exception_ptr outcome;
    db_->TransactionAsync([](soci::session& s) { s << "INSERT INTO t VALUES (7)"; },
                          [&](std::exception_ptr error) {
                              answered = true;
                              outcome = error;
                          });
    EXPECT_TRUE(answered);
    EXPECT_FALSE(outcome);
    EXPECT_EQ(Count(), 1);
    answered = false;
    db_->TransactionAsync(
        [](soci::session& s) {
            s << "INSERT INTO t VALUES (8)";
            throw std::runtime_error("refused after the insert");
        },
        [&](std::exception_ptr error) {
            answered = true;
            outcome = error;
        });
    EXPECT_TRUE(answered);
    ASSERT_TRUE(outcome);
    EXPECT_THROW(std::rethrow_exception(outcome), std::runtime_error);
    EXPECT_EQ(Count(), 1);  // the failed one kept nothing
}

// Nothing orders the commits of several processes on PostgreSQL: AfterCommit keeps nothing
// there, and the caller wakes the relay instead.
TEST_F(PostgresDatabaseTest, AfterCommitKeepsNothing) {
    bool kept = true;
    db_->Transaction([&](soci::session& s) {
        s << "INSERT INTO t VALUES (9)";
        kept = db_->AfterCommit([] {});
    });
    EXPECT_FALSE(kept);
    EXPECT_EQ(Count(), 1);
}

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

// The prepared-statement cache (common/src/db/postgres_statement_cache.cpp) under SOCI, against
// a real server: what SOCI prepares again is not sent again, the values are each run's own, and
// neither a rollback nor a server restart leaves a name that does not work.
class PostgresStatementCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        url_ = server_.Url(server_.CreateUniqueDatabase("stmts"));
        db_ = Database::Open(url_, 1);  // one session: every run is on the same connection
        db_->Transaction([](soci::session& s) {
            s << "CREATE TABLE t (x BIGINT NOT NULL)";
            s << "INSERT INTO t VALUES (7)";
        });
    }

    // The statement SOCI prepares (s.prepare <<), run once: x + d for the row x = 7.
    static long long Run(soci::session& s, long long d) {
        long long x = 7, out = 0;
        soci::statement st =
            (s.prepare << "SELECT x + :d FROM t WHERE x = :x", soci::use(d), soci::use(x),
             soci::into(out));
        st.execute(true);
        return out;
    }

    // How many statements of that text the session has prepared on the server.
    static long long PreparedOnServer(soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = "
             "'SELECT x + $1 FROM t WHERE x = $2'",
            soci::into(n);
        return n;
    }

    test::PostgresServer server_;
    std::string url_;
    std::unique_ptr<Database> db_;
};

TEST_F(PostgresStatementCacheTest, AStatementPreparedAgainIsNotSentAgainAndTakesItsNewValues) {
    const auto before = PostgresStatementCache();
    for (long long d = 0; d < 100; ++d) {
        ASSERT_EQ(db_->WithSession([d](soci::session& s) { return Run(s, d); }), 7 + d);
    }
    const auto after = PostgresStatementCache();
    EXPECT_GE(after.hits - before.hits, 99u);
    EXPECT_LE(after.misses - before.misses, 1u);
    // SOCI deallocated 100 names; one statement stays prepared, once.
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return PreparedOnServer(s); }), 1);
}

TEST_F(PostgresStatementCacheTest, AKeptStatementStillRunsAfterARollback) {
    // Prepared inside a transaction that rolls back: the statement is the session's, not the
    // transaction's, and the next prepare of the text finds it working.
    EXPECT_THROW(db_->Transaction([](soci::session& s) {
        EXPECT_EQ(Run(s, 1), 8);
        throw std::runtime_error("roll back");
    }),
                 std::runtime_error);
    const auto before = PostgresStatementCache();
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return Run(s, 2); }), 9);
    EXPECT_EQ(PostgresStatementCache().hits - before.hits, 1u);
}

TEST_F(PostgresStatementCacheTest, AfterAServerRestartTheNewConnectionPreparesAfresh) {
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return Run(s, 1); }), 8);
    server_.Stop();
    server_.Start();
    // The pool replaces the broken session (PQfinish: its statements are forgotten); the new
    // connection has none, so the text is prepared again rather than run under a dead name.
    const auto before = PostgresStatementCache();
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return Run(s, 3); }), 10);
    EXPECT_EQ(PostgresStatementCache().misses - before.misses, 1u);
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return PreparedOnServer(s); }), 1);
}

TEST_F(PostgresStatementCacheTest, AOneTimeStatementRunAgainIsPreparedOnceAndTakesItsNewValues) {
    const auto before = PostgresStatementCache();
    for (long long d = 0; d < 100; ++d) {
        const long long got = db_->WithSession([d](soci::session& s) {
            long long x = 7, out = 0;
            s << "SELECT x + :d FROM t WHERE x = :x", soci::use(d), soci::use(x), soci::into(out);
            return out;
        });
        ASSERT_EQ(got, 7 + d);
    }
    const auto after = PostgresStatementCache();
    // The first run went as it was, the second prepared the text, the other 98 ran it.
    EXPECT_EQ(after.misses - before.misses, 1u);
    EXPECT_GE(after.hits - before.hits, 98u);
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return PreparedOnServer(s); }), 1);
}

TEST_F(PostgresStatementCacheTest, AOneTimeStatementThatCannotBePreparedStillReportsItsOwnError) {
    // The statement names an unknown column; `run` is WithSession or Transaction.
    auto expect_own_error = [](auto run) {
        try {
            run([](soci::session& s) {
                long long d = 1, out = 0;
                s << "SELECT nosuch + :d FROM t", soci::use(d), soci::into(out);
            });
            ADD_FAILURE() << "an unknown column ran";
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
        }
    };
    // Three times: the second and third try to prepare it, and the prepare's error is theirs.
    for (int i = 0; i < 3; ++i) {
        expect_own_error([this](auto f) { db_->WithSession(f); });
    }
    // Inside a transaction too: the error is the statement's own, not "transaction aborted".
    expect_own_error([this](auto f) { db_->Transaction(f); });
    // And the connection goes on working.
    EXPECT_EQ(db_->WithSession([](soci::session& s) { return Run(s, 1); }), 8);
}

// A transaction on a pooled session sends its BEGIN with its first statement (one round trip,
// BeginWithNextStatement): the statements still run in one transaction, a rollback still undoes
// them, an error in the first statement is that statement's, and a transaction with no statement
// sends nothing. One session, so that every transaction after SetUp's reuses it.
class PostgresJoinedBeginTest : public PostgresStatementCacheTest {
protected:
    // Changes only if the connection was opened again (which leaving pipeline mode must never
    // need).
    int BackendPid() {
        return db_->WithSession([](soci::session& s) {
            int pid = 0;
            s << "SELECT pg_backend_pid()", soci::into(pid);
            return pid;
        });
    }

    // txid_current() of two statements in a row: the transaction's id, the same for both only
    // if they ran in one transaction (in autocommit each statement is a transaction of its own).
    static std::pair<long long, long long> TwoTxids(soci::session& s) {
        long long a = 0, b = 0;
        s << "SELECT txid_current()", soci::into(a);
        s << "SELECT txid_current()", soci::into(b);
        return {a, b};
    }

    long long Rows() {
        return db_->WithSession([](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(*) FROM t", soci::into(n);
            return n;
        });
    }
};

TEST_F(PostgresJoinedBeginTest, TheFirstStatementCarriesBeginAndTheRestShareItsTransaction) {
    const auto before = PostgresStatementCache();
    // txid_current() is the transaction's id: the same for both statements only if BEGIN ran
    // before the first (in autocommit each statement is a transaction of its own).
    const int pid = BackendPid();
    const auto [first, second] = db_->Transaction([](soci::session& s) {
        long long a = 0, b = 0;
        s << "SELECT txid_current()", soci::into(a);
        s << "INSERT INTO t VALUES (8)";
        s << "SELECT txid_current()", soci::into(b);
        return std::pair{a, b};
    });
    EXPECT_EQ(first, second);
    EXPECT_EQ(PostgresStatementCache().begins_joined - before.begins_joined, 1u);
    EXPECT_EQ(Rows(), 2);
    EXPECT_EQ(BackendPid(), pid);
}

TEST_F(PostgresJoinedBeginTest, ASessionIdleLongerThanTheOptionSaysSendsBeginOnItsOwn) {
    Database::Options options;
    options.pool_size = 1;
    options.postgres_join_begin_within = std::chrono::milliseconds(0);
    const auto db = Database::Open(url_, options);
    db->Transaction([](soci::session& s) { s << "INSERT INTO t VALUES (8)"; });  // a fresh session
    const auto before = PostgresStatementCache();
    const auto [first, second] = db->Transaction(TwoTxids);
    EXPECT_EQ(first, second);
    EXPECT_EQ(PostgresStatementCache().begins_joined - before.begins_joined, 0u);
}

TEST_F(PostgresJoinedBeginTest, ARollbackUndoesTheStatementThatCarriedBegin) {
    // A statement with values (sent with the extended protocol: BEGIN and it in one pipeline).
    const int pid = BackendPid();
    const auto before = PostgresStatementCache();
    EXPECT_THROW(db_->Transaction([](soci::session& s) {
        long long x = 9;
        s << "INSERT INTO t VALUES (:x)", soci::use(x);
        throw std::runtime_error("roll back");
    }),
                 std::runtime_error);
    EXPECT_EQ(PostgresStatementCache().begins_joined - before.begins_joined, 1u);
    EXPECT_EQ(Rows(), 1);
    // The same, for a prepared statement's first run and its later ones.
    for (int i = 0; i < 3; ++i) {
        EXPECT_THROW(db_->Transaction([](soci::session& s) {
            EXPECT_EQ(Run(s, 1), 8);
            s << "INSERT INTO t VALUES (10)";
            throw std::runtime_error("roll back");
        }),
                     std::runtime_error);
    }
    EXPECT_EQ(PostgresStatementCache().begins_joined - before.begins_joined, 4u);
    EXPECT_EQ(Rows(), 1);
    EXPECT_EQ(BackendPid(), pid);
}

TEST_F(PostgresJoinedBeginTest, AFailingFirstStatementReportsItsOwnErrorAndTheSessionGoesOn) {
    try {
        db_->Transaction([](soci::session& s) {
            long long x = 1;
            s << "INSERT INTO nosuch VALUES (:x)", soci::use(x);
        });
        ADD_FAILURE() << "an insert into an unknown table ran";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
    }
    db_->Transaction([](soci::session& s) { s << "INSERT INTO t VALUES (11)"; });
    EXPECT_EQ(Rows(), 2);
}

TEST_F(PostgresJoinedBeginTest, ATransactionWithoutStatementsSendsNothingAndTheNextOneBegins) {
    const auto before = PostgresStatementCache();
    db_->Transaction([](soci::session&) {});
    EXPECT_THROW(db_->Transaction([](soci::session&) { throw std::runtime_error("nothing"); }),
                 std::runtime_error);
    EXPECT_EQ(PostgresStatementCache().begins_unsent - before.begins_unsent, 2u);
    // Nothing was left open: the next transaction's statements are one transaction again, and
    // outside a transaction each statement is its own.
    const auto [first, second] = db_->Transaction(TwoTxids);
    EXPECT_EQ(first, second);
    const auto [third, fourth] = db_->WithSession(TwoTxids);
    EXPECT_NE(third, fourth);
}

// SendWithNextStatement: a statement nobody reads the answer of (the outbox's INSERT) waits and
// goes to the server with the transaction's next statement or with its COMMIT, one round trip
// fewer. It still runs in order, inside the transaction; a rollback drops it; its failure fails
// the transaction. Only a text the session has prepared is held (the cache prepares a one-time
// text on its second run), so each test runs the text twice first.
class PostgresHeldStatementTest : public PostgresJoinedBeginTest {
protected:
    void SetUp() override {
        PostgresJoinedBeginTest::SetUp();
        for (long long x : {100, 101}) {
            db_->Transaction([x](soci::session& s) { Insert(s, x); });
        }
        ASSERT_EQ(Rows(), 3);
    }

    static void Insert(soci::session& s, long long x, soci::indicator ind = soci::i_ok) {
        s << "INSERT INTO t VALUES (:x)", soci::use(x, ind);
    }

    static std::uint64_t Held() { return PostgresStatementCache().statements_held; }
};

TEST_F(PostgresHeldStatementTest, AHeldInsertRunsBeforeTheNextStatementInTheSameTransaction) {
    const auto held = Held();
    const int pid = BackendPid();
    const auto [seen, txids] = db_->Transaction([](soci::session& s) {
        SendWithNextStatement(s);
        Insert(s, 12);
        long long n = 0;
        s << "SELECT COUNT(*) FROM t WHERE x = 12", soci::into(n);  // carries the insert
        return std::pair{n, TwoTxids(s)};
    });
    EXPECT_EQ(Held() - held, 1u);
    EXPECT_EQ(seen, 1);  // the insert ran first, in this transaction
    EXPECT_EQ(txids.first, txids.second);
    EXPECT_EQ(Rows(), 4);
    EXPECT_EQ(BackendPid(), pid);
}

TEST_F(PostgresHeldStatementTest, AHeldInsertGoesWithCommitAndWithBeginWhenItIsTheOnlyStatement) {
    const auto before = PostgresStatementCache();
    // The outbox's case: the event's INSERT is the transaction's last statement.
    db_->Transaction([](soci::session& s) {
        Insert(s, 13);
        SendWithNextStatement(s);
        Insert(s, 14);
    });
    // BEGIN, the held INSERT and COMMIT in one round trip.
    db_->Transaction([](soci::session& s) {
        SendWithNextStatement(s);
        Insert(s, 15);
    });
    const auto after = PostgresStatementCache();
    EXPECT_EQ(after.statements_held - before.statements_held, 2u);
    EXPECT_EQ(after.begins_joined - before.begins_joined, 2u);
    EXPECT_EQ(after.begins_unsent - before.begins_unsent, 0u);
    EXPECT_EQ(Rows(), 6);
    // Nothing was left open.
    const auto [first, second] = db_->WithSession(TwoTxids);
    EXPECT_NE(first, second);
}

TEST_F(PostgresHeldStatementTest, ARollbackDropsAHeldInsert) {
    const auto held = Held();
    const int pid = BackendPid();
    for (bool with_statement_before : {false, true}) {
        EXPECT_THROW(db_->Transaction([&](soci::session& s) {
            if (with_statement_before) {
                Insert(s, 16);  // BEGIN went with it: a real ROLLBACK follows
            }
            SendWithNextStatement(s);
            Insert(s, 17);
            throw std::runtime_error("roll back");
        }),
                     std::runtime_error);
    }
    EXPECT_EQ(Held() - held, 2u);
    EXPECT_EQ(Rows(), 3);
    EXPECT_EQ(BackendPid(), pid);
    db_->Transaction([](soci::session& s) { Insert(s, 18); });
    EXPECT_EQ(Rows(), 4);
}

TEST_F(PostgresHeldStatementTest, AHeldInsertThatFailsFailsTheCommitAndUndoesTheTransaction) {
    // A null into a NOT NULL column: the server refuses it when it runs, which is at COMMIT.
    const int pid = BackendPid();
    for (bool last : {true, false}) {
        try {
            db_->Transaction([last](soci::session& s) {
                Insert(s, 19);
                SendWithNextStatement(s);
                Insert(s, 0, soci::i_null);
                if (!last) {
                    Insert(s, 20);  // carries the held one, and fails with it
                }
            });
            ADD_FAILURE() << "a null went into a NOT NULL column";
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find("null value"), std::string::npos) << e.what();
        }
        EXPECT_EQ(Rows(), 3);  // 19 went with it
    }
    EXPECT_EQ(BackendPid(), pid);
    db_->Transaction([](soci::session& s) { Insert(s, 21); });
    EXPECT_EQ(Rows(), 4);
}

TEST_F(PostgresHeldStatementTest, NothingIsHeldOutsideATransactionOrForATextNotYetPrepared) {
    const auto held = Held();
    db_->WithSession([](soci::session& s) {
        SendWithNextStatement(s);
        Insert(s, 22);  // autocommit: no COMMIT would come to send it
    });
    db_->Transaction([](soci::session& s) {
        SendWithNextStatement(s);
        long long y = 23;
        s << "INSERT INTO t SELECT :y", soci::use(y);  // a text run for the first time
        long long n = 0;
        s << "SELECT COUNT(*) FROM t", soci::into(n);
    });
    EXPECT_EQ(Held() - held, 0u);
    EXPECT_EQ(Rows(), 5);
}

}  // namespace
}  // namespace ticketing::db

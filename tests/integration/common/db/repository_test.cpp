// An example repository written once and run against both backends: it exercises what the
// services' storage code relies on (partial unique indexes, INSERT ... ON CONFLICT DO NOTHING,
// affected-row counts, version-checked updates, IsUniqueViolation, migrations) on SQLite and on a
// real PostgreSQL, including races between threads.
#include <atomic>
#include <latch>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"

namespace ticketing::db {
namespace {

const std::vector<Migration> kMigrations = {
    {1,
     "create_things",
     R"sql(
-- At most one active thing per ticket: the database decides races.
CREATE TABLE things (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    status TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX things_one_active_per_ticket
    ON things (ticket_id) WHERE status IN ('created', 'complete');
)sql"},
    {2,
     "create_inbox",
     "CREATE TABLE inbox (consumer TEXT NOT NULL, event_id TEXT NOT NULL, "
     "PRIMARY KEY (consumer, event_id));"},
};

struct Thing {
    std::string id;
    std::string ticket_id;
    std::string status;
    long long price_cents = 0;
    long long created_at = 0;
    long long version = 0;
};

// What a service's Sql*Repository looks like.
class SqlThingRepository final {
public:
    explicit SqlThingRepository(Database& db) : db_(db) {}

    // False when the ticket already has an active thing (or the id exists).
    bool Create(const Thing& t) {
        return db_.Transaction([&](soci::session& s) {
            soci::statement st =
                (s.prepare << "INSERT INTO things (id, ticket_id, status, price_cents, "
                              "created_at, version) VALUES (:id, :ticket, :status, :price, "
                              ":created, :version) ON CONFLICT DO NOTHING",
                 soci::use(t.id),
                 soci::use(t.ticket_id),
                 soci::use(t.status),
                 soci::use(t.price_cents),
                 soci::use(t.created_at),
                 soci::use(t.version));
            st.execute(true);
            return st.get_affected_rows() == 1;
        });
    }

    // The same rule enforced by catching the violation instead (for code that must know which
    // constraint failed).
    bool CreateOrDetectViolation(const Thing& t) {
        try {
            db_.Transaction([&](soci::session& s) {
                s << "INSERT INTO things (id, ticket_id, status, price_cents, created_at, version) "
                     "VALUES (:id, :ticket, :status, :price, :created, :version)",
                    soci::use(t.id), soci::use(t.ticket_id), soci::use(t.status),
                    soci::use(t.price_cents), soci::use(t.created_at), soci::use(t.version);
            });
            return true;
        } catch (const std::exception& e) {
            if (IsUniqueViolation(e)) {
                return false;
            }
            throw;
        }
    }

    std::optional<Thing> Find(const std::string& id) {
        return db_.WithSession([&](soci::session& s) -> std::optional<Thing> {
            Thing t;
            s << "SELECT id, ticket_id, status, price_cents, created_at, version FROM things "
                 "WHERE id = :id",
                soci::use(id), soci::into(t.id), soci::into(t.ticket_id), soci::into(t.status),
                soci::into(t.price_cents), soci::into(t.created_at), soci::into(t.version);
            if (!s.got_data()) {
                return std::nullopt;
            }
            return t;
        });
    }

    // Optimistic concurrency: false when the row is not at `expected_version`.
    bool UpdateStatus(const std::string& id,
                      long long expected_version,
                      const std::string& status) {
        return db_.Transaction([&](soci::session& s) {
            soci::statement st =
                (s.prepare << "UPDATE things SET status = :status, version = version + 1 "
                              "WHERE id = :id AND version = :expected",
                 soci::use(status),
                 soci::use(id),
                 soci::use(expected_version));
            st.execute(true);
            return st.get_affected_rows() == 1;
        });
    }

    // Inbox: false when the event was handled before.
    bool RecordEvent(const std::string& consumer, const std::string& event_id) {
        return db_.Transaction([&](soci::session& s) {
            soci::statement st = (s.prepare << "INSERT INTO inbox (consumer, event_id) "
                                               "VALUES (:c, :e) ON CONFLICT DO NOTHING",
                                  soci::use(consumer),
                                  soci::use(event_id));
            st.execute(true);
            return st.get_affected_rows() == 1;
        });
    }

    long long CountActive(const std::string& ticket_id) {
        return db_.WithSession([&](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(*) FROM things WHERE ticket_id = :t AND status IN "
                 "('created', 'complete')",
                soci::use(ticket_id), soci::into(n);
            return n;
        });
    }

private:
    Database& db_;
};

enum class Backend { kSqlite, kPostgres };

void PrintTo(Backend backend, std::ostream* os) {
    *os << (backend == Backend::kSqlite ? "Sqlite" : "Postgres");
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
    return ::testing::PrintToString(info.param);
}

Thing MakeThing(const std::string& id, const std::string& ticket, const std::string& status) {
    return Thing{id, ticket, status, 2000, 1'795'341'600'000, 0};
}

class SqlThingRepositoryTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::kSqlite) {
            url_ = "sqlite://" + (dir_.Path() / "things.db").string();
        } else {
            auto& server = test::PostgresServer::Shared();
            url_ = server.Url(server.CreateUniqueDatabase("things"));
        }
        db_ = Database::Open(url_, 8);
        RunMigrations(*db_, kMigrations);
        repo_.emplace(*db_);
    }

    test::TempDir dir_;
    std::string url_;
    std::unique_ptr<Database> db_;
    std::optional<SqlThingRepository> repo_;
};

TEST_P(SqlThingRepositoryTest, OpenReportsBackendKind) {
    EXPECT_EQ(db_->kind(),
              GetParam() == Backend::kSqlite ? Database::Kind::kSqlite : Database::Kind::kPostgres);
    EXPECT_TRUE(db_->Ping());
}

TEST_P(SqlThingRepositoryTest, CreateStoresEveryField) {
    const Thing thing{"t1", "ticket-1", "created", 123'456'789'012LL, 1'795'341'600'123LL, 0};

    ASSERT_TRUE(repo_->Create(thing));

    const std::optional<Thing> found = repo_->Find("t1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->ticket_id, "ticket-1");
    EXPECT_EQ(found->status, "created");
    EXPECT_EQ(found->price_cents, 123'456'789'012LL);
    EXPECT_EQ(found->created_at, 1'795'341'600'123LL);
    EXPECT_EQ(found->version, 0);
}

TEST_P(SqlThingRepositoryTest, FindReturnsNulloptForUnknownId) {
    EXPECT_FALSE(repo_->Find("missing").has_value());
}

TEST_P(SqlThingRepositoryTest, SecondActiveThingForTicketIsNotInserted) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "created")));

    const bool inserted = repo_->Create(MakeThing("b", "ticket-1", "complete"));

    EXPECT_FALSE(inserted);
    EXPECT_FALSE(repo_->Find("b").has_value());
    EXPECT_EQ(repo_->CountActive("ticket-1"), 1);
}

TEST_P(SqlThingRepositoryTest, InactiveThingsDoNotBlockAnActiveOne) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "cancelled")));
    ASSERT_TRUE(repo_->Create(MakeThing("b", "ticket-1", "cancelled")));

    const bool inserted = repo_->Create(MakeThing("c", "ticket-1", "created"));

    EXPECT_TRUE(inserted);
}

TEST_P(SqlThingRepositoryTest, DuplicateIdIsNotInserted) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "cancelled")));

    EXPECT_FALSE(repo_->Create(MakeThing("a", "ticket-2", "created")));
}

TEST_P(SqlThingRepositoryTest, PlainInsertViolationIsRecognisedAsUnique) {
    ASSERT_TRUE(repo_->CreateOrDetectViolation(MakeThing("a", "ticket-1", "created")));

    EXPECT_FALSE(repo_->CreateOrDetectViolation(MakeThing("b", "ticket-1", "created")));
    EXPECT_FALSE(repo_->CreateOrDetectViolation(MakeThing("a", "ticket-2", "created")));
}

TEST_P(SqlThingRepositoryTest, OtherConstraintFailuresAreNotUniqueViolations) {
    Thing no_status = MakeThing("a", "ticket-1", "created");

    try {
        db_->Transaction([&](soci::session& s) {
            s << "INSERT INTO things (id, ticket_id, status, price_cents, created_at, version) "
                 "VALUES (:id, :ticket, NULL, 1, 1, 0)",
                soci::use(no_status.id), soci::use(no_status.ticket_id);
        });
        FAIL() << "NULL status was accepted";
    } catch (const soci::soci_error& e) {
        EXPECT_FALSE(IsUniqueViolation(e)) << e.what();
    }
}

TEST_P(SqlThingRepositoryTest, UpdateAtCurrentVersionBumpsVersion) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "created")));

    const bool updated = repo_->UpdateStatus("a", 0, "complete");

    EXPECT_TRUE(updated);
    EXPECT_EQ(repo_->Find("a")->version, 1);
    EXPECT_EQ(repo_->Find("a")->status, "complete");
}

TEST_P(SqlThingRepositoryTest, UpdateAtStaleVersionChangesNothing) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "created")));
    ASSERT_TRUE(repo_->UpdateStatus("a", 0, "complete"));

    const bool updated = repo_->UpdateStatus("a", 0, "cancelled");

    EXPECT_FALSE(updated);
    EXPECT_EQ(repo_->Find("a")->status, "complete");
    EXPECT_EQ(repo_->Find("a")->version, 1);
}

TEST_P(SqlThingRepositoryTest, DuplicateInboxEventIsRecognised) {
    ASSERT_TRUE(repo_->RecordEvent("orders-service-ticket-created", "evt-1"));

    EXPECT_FALSE(repo_->RecordEvent("orders-service-ticket-created", "evt-1"));
    EXPECT_TRUE(repo_->RecordEvent("payments-service-order-created", "evt-1"));
}

TEST_P(SqlThingRepositoryTest, FailedTransactionLeavesSessionUsable) {
    // One session only: the next transaction must get it back clean, even on PostgreSQL where
    // the failed statement left it in an aborted transaction.
    auto db = Database::Open(url_, 1);
    SqlThingRepository repo(*db);
    ASSERT_TRUE(repo.CreateOrDetectViolation(MakeThing("a", "ticket-1", "created")));
    EXPECT_THROW(db->Transaction([](soci::session& s) { s << "SELECT * FROM no_such_table"; }),
                 soci::soci_error);

    EXPECT_TRUE(repo.Create(MakeThing("b", "ticket-2", "created")));
}

TEST_P(SqlThingRepositoryTest, ConcurrentCreatesForOneTicketHaveExactlyOneWinner) {
    constexpr int kThreads = 16;
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;

    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                if (repo_->Create(MakeThing("thing-" + std::to_string(i), "ticket-1", "created"))) {
                    winners.fetch_add(1);
                }
            } catch (const std::exception&) {
                errors.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }

    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(repo_->CountActive("ticket-1"), 1);
}

TEST_P(SqlThingRepositoryTest, ConcurrentPlainInsertsLoseWithUniqueViolation) {
    constexpr int kThreads = 16;
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;

    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                if (repo_->CreateOrDetectViolation(
                        MakeThing("thing-" + std::to_string(i), "ticket-1", "created"))) {
                    winners.fetch_add(1);
                }
            } catch (const std::exception&) {
                errors.fetch_add(1);  // anything but a unique violation
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }

    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(errors.load(), 0);
}

TEST_P(SqlThingRepositoryTest, ConcurrentVersionedUpdatesHaveExactlyOneWinner) {
    ASSERT_TRUE(repo_->Create(MakeThing("a", "ticket-1", "created")));
    constexpr int kThreads = 8;
    std::atomic<int> winners{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;

    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            if (repo_->UpdateStatus("a", 0, "complete")) {
                winners.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }

    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(repo_->Find("a")->version, 1);
}

TEST_P(SqlThingRepositoryTest, ConcurrentMigrationRunsApplyEachMigrationOnce) {
    // Two "replicas" start together on a fresh database.
    std::string url;
    if (GetParam() == Backend::kSqlite) {
        url = "sqlite://" + (dir_.Path() / "fresh.db").string();
    } else {
        auto& server = test::PostgresServer::Shared();
        url = server.Url(server.CreateUniqueDatabase("fresh"));
    }
    constexpr int kReplicas = 2;
    std::vector<std::unique_ptr<Database>> replicas;
    for (int i = 0; i < kReplicas; ++i) {
        replicas.push_back(Database::Open(url, 2));
    }
    std::atomic<int> errors{0};
    std::latch start(kReplicas);
    std::vector<std::thread> threads;

    for (auto& replica : replicas) {
        threads.emplace_back([&, db = replica.get()] {
            start.arrive_and_wait();
            try {
                RunMigrations(*db, kMigrations);
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                errors.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }

    EXPECT_EQ(errors.load(), 0);
    const long long rows = replicas[0]->WithSession([](soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM schema_migrations", soci::into(n);
        return n;
    });
    EXPECT_EQ(rows, static_cast<long long>(kMigrations.size()));
}

INSTANTIATE_TEST_SUITE_P(Backends,
                         SqlThingRepositoryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace ticketing::db

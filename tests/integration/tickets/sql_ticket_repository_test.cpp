// SqlTicketRepository on SQLite and PostgreSQL keeps TicketRepository's contract (the suite the
// in-memory fake runs in tests/unit/tickets).
#include "storage/sql_ticket_repository.hpp"

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/db/postgres_statement_cache.hpp"
#include "common/db/sql.hpp"
#include "common/testing/test_database.hpp"
#include "common/testing/tickets/ticket_repository_contract.hpp"

#include "storage/migrations.hpp"

namespace ticketing::test {
namespace {

template <bool kPostgres>
using SqlTickets = SqlStorage<tickets::SqlTicketsTransactions, kPostgres, &tickets::Migrations>;

using Backends = ::testing::Types<SqlTickets<false>, SqlTickets<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sql, TicketRepositoryContract, Backends);

using namespace std::chrono_literals;
using tickets::Ticket;
using tickets::TicketsUnitOfWork;

// PostgreSQL runs READ COMMITTED. Without FindForUpdate's row lock, order:cancelled read a
// ticket that order:created was reserving in a transaction not yet committed; both committed and
// the ticket stayed held by a cancelled order (Outage.postgres found one). Here the second
// FindForUpdate must wait for the first transaction, which PostgreSQL shows as a session waiting
// on a lock, and then see what that transaction wrote.
TEST(SqlTicketRepositoryPostgres, FindForUpdateWaitsForTheTransactionThatHoldsTheTicket) {
    SqlTickets<true> storage;
    storage.transactions.Run([](TicketsUnitOfWork& uow) {
        uow.tickets().Insert(Ticket{"t1", "concert", 100, "u1", std::nullopt, 0, {}, false});
    });
    std::promise<void> first_holds, release;
    std::thread first([&] {
        storage.transactions.Run([&](TicketsUnitOfWork& uow) {
            Ticket next = *uow.tickets().FindForUpdate("t1");
            first_holds.set_value();
            release.get_future().wait();
            next.order_id = "o1";
            next.version = 1;
            ASSERT_TRUE(uow.tickets().Update(next, 0));
        });
    });
    first_holds.get_future().wait();
    std::optional<Ticket> seen;
    std::thread second([&] {
        storage.transactions.Run(
            [&](TicketsUnitOfWork& uow) { seen = uow.tickets().FindForUpdate("t1"); });
    });

    const bool second_waits = WaitUntil(
        [&] {
            int waiting = 0;
            storage.db->WithSession([&](soci::session& s) {
                s << "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock'",
                    soci::into(waiting);
            });
            return waiting == 1;
        },
        10s);
    release.set_value();
    first.join();
    second.join();

    EXPECT_TRUE(second_waits);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->version, 1);
    EXPECT_EQ(seen->order_id, "o1");
}

// POST /api/tickets on PostgreSQL is one round trip: the ticket's INSERT, whose answer nothing
// reads, waits for the transaction's next statement (the event's INSERT, then COMMIT) instead of
// going alone (db::SendWithNextStatement). It still fails its transaction when it fails.
TEST(SqlTicketRepositoryPostgres, AnInsertGoesWithTheTransactionsNextStatementAndStillFailsIt) {
    SqlTickets<true> storage;
    const auto held = db::PostgresStatementCache().statements_held;
    // A pooled session holds a text once it has run it twice (the cache prepares it then).
    for (int i = 0; i < 20; ++i) {
        storage.transactions.Run([i](TicketsUnitOfWork& uow) {
            uow.tickets().Insert(
                Ticket{"t" + std::to_string(i), "concert", 100, "u1", std::nullopt, 0, {}, false});
        });
    }
    EXPECT_GT(db::PostgresStatementCache().statements_held, held);
    for (int i = 0; i < 20; ++i) {
        storage.transactions.Run([i](TicketsUnitOfWork& uow) {
            EXPECT_TRUE(uow.tickets().Find("t" + std::to_string(i)).has_value()) << i;
        });
    }
    // The same id again: the primary key refuses it when the INSERT reaches the server, with
    // COMMIT, and the ticket inserted before it in the transaction goes too.
    for (int attempt = 0; attempt < 3; ++attempt) {
        EXPECT_ANY_THROW(storage.transactions.Run([](TicketsUnitOfWork& uow) {
            uow.tickets().Insert(Ticket{"t-new", "concert", 100, "u1", std::nullopt, 0, {}, false});
            uow.tickets().Insert(Ticket{"t0", "again", 100, "u2", std::nullopt, 0, {}, false});
        }));
    }
    storage.transactions.Run([](TicketsUnitOfWork& uow) {
        EXPECT_FALSE(uow.tickets().Find("t-new").has_value());
        EXPECT_EQ(uow.tickets().Find("t0")->title, "concert");
    });
}

}  // namespace
}  // namespace ticketing::test

// SqlTicketRepository on SQLite and PostgreSQL keeps TicketRepository's contract (the suite the
// in-memory fake runs in tests/unit/tickets).
#include "storage/sql_ticket_repository.hpp"

#include <gtest/gtest.h>

#include "common/testing/test_database.hpp"
#include "common/testing/tickets/ticket_repository_contract.hpp"

#include "storage/migrations.hpp"

namespace ticketing::test {
namespace {

template <bool kPostgres>
using SqlTickets = SqlStorage<tickets::SqlTicketsTransactions, kPostgres, &tickets::Migrations>;

using Backends = ::testing::Types<SqlTickets<false>, SqlTickets<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sql, TicketRepositoryContract, Backends);

}  // namespace
}  // namespace ticketing::test

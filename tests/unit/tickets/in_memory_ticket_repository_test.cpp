// test::InMemoryTicketRepository keeps TicketRepository's contract, the same suite that
// SqlTicketRepository runs in tests/integration/tickets, so the domain tests' fake behaves as
// the SQL does.
#include <gtest/gtest.h>

#include "common/testing/tickets/in_memory_tickets.hpp"
#include "common/testing/tickets/ticket_repository_contract.hpp"

namespace ticketing::test {
namespace {

struct InMemoryTickets {
    tickets::TicketsTransactions& runner() { return transactions; }

    InMemoryTicketRepository tickets;
    InMemoryTicketsTransactions transactions{tickets};
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory,
                               TicketRepositoryContract,
                               ::testing::Types<InMemoryTickets>);

}  // namespace
}  // namespace ticketing::test

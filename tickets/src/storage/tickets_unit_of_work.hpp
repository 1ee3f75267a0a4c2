// TicketsUnitOfWork: what one unit of work of the tickets service offers (the port of
// common/storage/unit_of_work.hpp): its tickets, and the outbox and inbox of the same
// transaction. TicketService and the listeners run their work through TicketsTransactions;
// main() gives them SqlTicketsTransactions, the unit tests test::InMemoryTicketsTransactions.
// Thread-safety: see common/storage/unit_of_work.hpp.
#pragma once

#include "common/storage/unit_of_work.hpp"

#include "storage/ticket_repository.hpp"

namespace ticketing::tickets {

class TicketsUnitOfWork : public storage::UnitOfWork {
public:
    virtual TicketRepository& tickets() = 0;
};

using TicketsTransactions = storage::TransactionRunner<TicketsUnitOfWork>;

}  // namespace ticketing::tickets

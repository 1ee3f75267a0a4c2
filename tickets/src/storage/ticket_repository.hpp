// TicketRepository: the port through which the tickets service stores its tickets, and the
// orders it saw cancelled (so that a late order:created of a cancelled order never reserves the
// ticket). Reached only through a TicketsUnitOfWork, so several calls share one transaction with
// their outbox and inbox rows. SqlTicketRepository is the SQL implementation; domain and listener
// tests use test::InMemoryTicketRepository (common/testing/tickets/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/page.hpp"
#include "domain/ticket.hpp"

namespace ticketing::tickets {

class TicketRepository {
public:
    virtual ~TicketRepository() = default;

    virtual void Insert(const Ticket& ticket) = 0;
    virtual std::optional<Ticket> Find(const std::string& id) = 0;
    // Find, and no other transaction writes the ticket or reads it with FindForUpdate until
    // this one ends (PostgreSQL: a row lock; SQLite has one writer anyway). The order listeners
    // read it this way: on PostgreSQL's READ COMMITTED, order:created and order:cancelled of
    // one order could otherwise each decide on a ticket the other was changing and both commit,
    // leaving the ticket held by a cancelled order.
    virtual std::optional<Ticket> FindForUpdate(const std::string& id) = 0;
    // One page of the unreserved tickets, in the page's order.
    virtual std::vector<Ticket> ListUnreserved(const PageRequest& page) = 0;
    // One page of one seller's tickets, in every state, in the page's order.
    virtual std::vector<Ticket> ListOfSeller(const std::string& user_id,
                                             const PageRequest& page) = 0;
    // Optimistic write: stores `next` (title, price, order_id, version) only if the ticket is
    // still at `expected_version`. False when another writer changed it first: nothing is
    // written.
    virtual bool Update(const Ticket& next, std::int64_t expected_version) = 0;
    // The ticket is sold: its holding order `order_id` completed. False when the ticket is not
    // held by that order or is marked already. The version does not change.
    virtual bool MarkSold(const std::string& ticket_id, const std::string& order_id) = 0;

    // Remembers that `order_id` (holding or not `ticket_id`) was cancelled; a second call for
    // the same order changes nothing.
    virtual void RecordCancelledOrder(const std::string& order_id,
                                      const std::string& ticket_id) = 0;
    virtual bool IsOrderCancelled(const std::string& order_id) = 0;
};

}  // namespace ticketing::tickets

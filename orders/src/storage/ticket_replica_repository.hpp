// TicketReplicaRepository: the port through which the orders service keeps its replica of the
// tickets service's tickets (from ticket:created and ticket:updated, with the version rule).
// SqlTicketReplicaRepository is the SQL implementation; tests use
// test::InMemoryTicketReplicaRepository (common/testing/orders/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <optional>
#include <string>

#include "domain/order.hpp"

namespace ticketing::orders {

class TicketReplicaRepository {
public:
    virtual ~TicketReplicaRepository() = default;

    virtual std::optional<Ticket> Find(const std::string& id) = 0;
    // False when the ticket is there already (whatever its version); nothing is written then.
    virtual bool Insert(const Ticket& ticket) = 0;
    // Applies version `ticket.version` only over `ticket.version - 1`; false when the replica
    // holds another version or no such ticket.
    virtual bool UpdateFromPrevious(const Ticket& ticket) = 0;
};

}  // namespace ticketing::orders

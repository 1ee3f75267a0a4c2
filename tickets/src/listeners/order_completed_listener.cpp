#include "common/bus/inbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& e,
                                                const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_.db, meta, [&](soci::session& tx) {
        if (!TicketStore::Find(tx, e.ticket.id)) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        // Sold: the ticket stays reserved by the order, so its version and events do not
        // change; only the seller's view (GET /api/tickets/mine) learns it is sold. A ticket
        // not held by this order (its order:created not handled yet cannot be: orders completes
        // an order only after payments saw it, but be safe) is left as it is.
        TicketStore::MarkSold(tx, e.ticket.id, e.id);
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

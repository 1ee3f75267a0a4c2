#include "listeners/listeners.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& e,
                                                const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](TicketsUnitOfWork& uow) {
        if (!uow.tickets().Find(e.ticket.id)) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        // Sold: the ticket stays reserved by the order, so its version and events do not
        // change; only the seller's view (GET /api/tickets/mine) learns it is sold. A ticket
        // not held by this order (its order:created not handled yet cannot be: orders completes
        // an order only after payments saw it, but be safe) is left as it is.
        uow.tickets().MarkSold(e.ticket.id, e.id);
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCancelledListener::Handle(const events::OrderCancelled& e,
                                                const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_, meta, [&](soci::session& tx) {
        auto ticket = TicketStore::Find(tx, e.ticket.id);
        if (!ticket) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        // So that a late order:created of this order never reserves the ticket again.
        TicketStore::RecordCancelledOrder(tx, e.id, e.ticket.id);
        if (OnOrderCancelled(*ticket, e.id) == Reaction::kNothing) {
            return bus::AckDecision::kAck;  // another order holds it, or none: leave it
        }
        Ticket next = *ticket;
        next.order_id.reset();
        next.version = ticket->version + 1;
        if (!TicketStore::Update(tx, next, ticket->version)) {
            return bus::AckDecision::kRetry;  // an edit committed meanwhile: look again
        }
        bus::Outbox::Add(tx, UpdatedEvent(next), {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

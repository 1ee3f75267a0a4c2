#include "listeners/listeners.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCancelledListener::Handle(const events::OrderCancelled& e,
                                                const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](TicketsUnitOfWork& uow) {
        TicketRepository& tickets = uow.tickets();
        auto ticket = tickets.FindForUpdate(e.ticket.id);
        if (!ticket) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        // So that a late order:created of this order never reserves the ticket again.
        tickets.RecordCancelledOrder(e.id, e.ticket.id);
        if (OnOrderCancelled(*ticket, e.id) == Reaction::kNothing) {
            return bus::AckDecision::kAck;  // another order holds it, or none: leave it
        }
        Ticket next = *ticket;
        next.order_id.reset();
        next.version = ticket->version + 1;
        if (!tickets.Update(next, ticket->version)) {
            return bus::AckDecision::kRetry;  // an edit committed meanwhile: look again
        }
        uow.outbox().Add(UpdatedEvent(next), {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

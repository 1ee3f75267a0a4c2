#include "listeners/listeners.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCreatedListener::Apply(TicketsUnitOfWork& uow,
                                             const events::OrderCreated& e,
                                             const bus::MessageMeta& meta) const {
    TicketRepository& tickets = uow.tickets();
    auto ticket = tickets.FindForUpdate(e.ticket.id);
    if (!ticket) {
        return bus::AckDecision::kDeadLetter;  // not a ticket of ours
    }
    switch (OnOrderCreated(*ticket, e.id, tickets.IsOrderCancelled(e.id))) {
        case Reaction::kNothing:
            return bus::AckDecision::kAck;
        case Reaction::kWait:
            return bus::AckDecision::kRetry;
        case Reaction::kApply:
            break;
    }
    Ticket next = *ticket;
    next.order_id = e.id;
    next.version = ticket->version + 1;
    if (!tickets.Update(next, ticket->version)) {
        return bus::AckDecision::kRetry;  // an edit committed meanwhile: look again
    }
    uow.outbox().Add(UpdatedEvent(next), {meta.traceparent, ctx_.clock.Now()});
    return bus::AckDecision::kAck;
}

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& e,
                                              const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(
        meta, [&](TicketsUnitOfWork& uow) { return Apply(uow, e, meta); });
}

std::vector<bus::AckDecision> OrderCreatedListener::HandleBatch(
    std::span<const events::OrderCreated> events, std::span<const bus::MessageMeta> metas) {
    return ctx_.transactions.HandleEachOnce<events::OrderCreated>(
        events,
        metas,
        [this](TicketsUnitOfWork& uow, const events::OrderCreated& e, const bus::MessageMeta& m) {
            return Apply(uow, e, m);
        });
}

}  // namespace ticketing::tickets

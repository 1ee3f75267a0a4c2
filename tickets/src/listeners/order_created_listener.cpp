#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& e,
                                              const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_, meta, [&](soci::session& tx) {
        auto ticket = TicketStore::Find(tx, e.ticket.id);
        if (!ticket) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        switch (OnOrderCreated(*ticket, e.id, TicketStore::IsOrderCancelled(tx, e.id))) {
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
        if (!TicketStore::Update(tx, next, ticket->version)) {
            return bus::AckDecision::kRetry;  // an edit committed meanwhile: look again
        }
        bus::Outbox::Add(tx, UpdatedEvent(next), {meta.traceparent, ctx_.clock.Now()});
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

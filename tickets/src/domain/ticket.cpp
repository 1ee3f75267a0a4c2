#include "domain/ticket.hpp"

#include "common/domain/errors.hpp"

namespace ticketing::tickets {

void CheckCanEdit(const Ticket& ticket, std::string_view user_id) {
    if (ticket.user_id != user_id) {
        throw domain::NotOwnerError();
    }
    if (ticket.IsReserved()) {
        throw domain::RuleViolation(std::string(kCannotEditReserved));
    }
}

Reaction OnOrderCreated(const Ticket& ticket, std::string_view order_id, bool order_cancelled) {
    if (order_cancelled || ticket.order_id == order_id) {
        return Reaction::kNothing;
    }
    return ticket.IsReserved() ? Reaction::kWait : Reaction::kApply;
}

Reaction OnOrderCancelled(const Ticket& ticket, std::string_view order_id) {
    return ticket.order_id == order_id ? Reaction::kApply : Reaction::kNothing;
}

events::TicketCreated CreatedEvent(const Ticket& ticket) {
    return {ticket.id, ticket.version, ticket.title, ticket.price, ticket.user_id};
}

events::TicketUpdated UpdatedEvent(const Ticket& ticket) {
    return {ticket.id, ticket.version, ticket.title, ticket.price, ticket.user_id, ticket.order_id};
}

TicketState StateOf(const Ticket& ticket) {
    if (!ticket.IsReserved()) {
        return TicketState::kAvailable;
    }
    return ticket.sold ? TicketState::kSold : TicketState::kReserved;
}

std::string_view ToString(TicketState state) {
    switch (state) {
        case TicketState::kAvailable:
            return "available";
        case TicketState::kReserved:
            return "reserved";
        case TicketState::kSold:
            return "sold";
    }
    return "reserved";
}

}  // namespace ticketing::tickets

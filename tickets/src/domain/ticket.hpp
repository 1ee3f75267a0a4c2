// Ticket: what the tickets service stores about a ticket for sale, and the pure rules about it
// (DESIGN.md sections 4 and 5): who may edit it, what an order event does to it, and the events
// that publish its state. No HTTP, NATS or SQL types.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/events/events.hpp"
#include "common/util/clock.hpp"
#include "common/util/money.hpp"

namespace ticketing::tickets {

inline constexpr std::string_view kTitleRequired = "Title is required";
inline constexpr std::string_view kTitleCharacters =
    "Title must not contain control or bidirectional formatting characters";
inline constexpr std::string_view kCannotEditReserved = "Cannot edit a reserved ticket";
inline constexpr std::size_t kMaxTitleLength = 200;

struct Ticket {
    std::string id;
    std::string title;  // trimmed, 1..200 characters
    util::Cents price = 0;
    std::string user_id;                  // the seller
    std::optional<std::string> order_id;  // the order holding it; empty while free
    std::int64_t version = 0;             // 0 at creation, + 1 per published change
    util::TimePoint created_at;
    bool sold = false;  // the order holding it completed (order:completed); no version change

    bool IsReserved() const { return order_id.has_value(); }
    bool operator==(const Ticket&) const = default;
};

// What the seller sees of a ticket: for sale, held by an order, or sold (its order completed).
enum class TicketState { kAvailable, kReserved, kSold };
TicketState StateOf(const Ticket& ticket);
std::string_view ToString(TicketState state);

// The rules of PUT /api/tickets/:id after validation and the 404, in the contract's order:
// throws domain::NotOwnerError when `user_id` is not the seller, domain::RuleViolation
// (kCannotEditReserved) while an order holds the ticket.
void CheckCanEdit(const Ticket& ticket, std::string_view user_id);

// What an order event does to a ticket.
enum class Reaction {
    kApply,    // change the ticket (version + 1) and publish ticket:updated
    kNothing,  // acknowledge: nothing to change, nothing to publish
    kWait,     // not decidable yet: an event this one depends on has not been handled (retry)
};

// order:created for `order_id`. `order_cancelled` is whether its order:cancelled was handled
// already (the two subjects have separate consumers, so they may arrive in either order).
//   held by this order, or the order was cancelled already → kNothing
//   free                                                   → kApply (reserve)
//   held by another order → kWait: the orders service lets one order at a time hold a ticket,
//     so one of the two was cancelled before the other was made, and that order:cancelled is
//     in the stream already; once it is handled the answer is kApply or kNothing.
Reaction OnOrderCreated(const Ticket& ticket, std::string_view order_id, bool order_cancelled);
// order:cancelled: kApply (release) only when this very order holds the ticket; else kNothing.
Reaction OnOrderCancelled(const Ticket& ticket, std::string_view order_id);

// The events that publish a ticket's full state at its current version.
events::TicketCreated CreatedEvent(const Ticket& ticket);
events::TicketUpdated UpdatedEvent(const Ticket& ticket);

}  // namespace ticketing::tickets

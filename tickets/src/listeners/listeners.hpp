// The tickets service's listeners (queue group "tickets-service"), one subject per file. Each
// runs its work through TicketsTransactions::HandleOnce, so a redelivered event changes nothing,
// and writes the ticket:updated it causes to the outbox of the same unit of work.
//   order:created    → the ticket's orderId = the order, version + 1, ticket:updated. Already
//                      held by this order, or the order's order:cancelled was handled first →
//                      ack, nothing. Held by another order → retry (that order's cancel, or this
//                      one's, is in the stream already; see domain/ticket.hpp). Taken in batches
//                      of what is queued together, one transaction each.
//   order:cancelled  → remembers the order as cancelled; clears orderId only when this very
//                      order holds the ticket (version + 1, ticket:updated); else ack, nothing.
//   order:completed  → ack, nothing: the ticket stays reserved (it is sold).
// A lost optimistic race (an edit committed meanwhile) rolls back and retries.
// An unknown ticket id is a poison event: tickets owns tickets and publishes ticket:created in
// the same transaction as the insert, so the orders service cannot know a ticket this service
// lacks (a wrong database, or a forged event). Dead-letter it rather than retry it for minutes.
// Thread-safety: Handle may run on several threads at once (one per consumer).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/tickets_unit_of_work.hpp"

namespace ticketing::bus {
class EventSubscriber;
}

namespace ticketing::tickets {

// What every listener needs: the units of work, and the clock that stamps the events they cause.
struct ListenerContext {
    TicketsTransactions& transactions;
    const util::Clock& clock;
};

class OrderCreatedListener final {
public:
    explicit OrderCreatedListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::OrderCreated& e, const bus::MessageMeta& meta);
    // The events queued together, in one transaction (TicketsTransactions::HandleEachOnce): a
    // burst of orders pays one commit instead of one each (issue 20). One that must wait or be
    // dead-lettered splits the batch, and each event then gets its own decision.
    std::vector<bus::AckDecision> HandleBatch(std::span<const events::OrderCreated> events,
                                              std::span<const bus::MessageMeta> metas);

private:
    bus::AckDecision Apply(TicketsUnitOfWork& uow,
                           const events::OrderCreated& e,
                           const bus::MessageMeta& meta) const;

    ListenerContext ctx_;
};

class OrderCancelledListener final {
public:
    explicit OrderCancelledListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::OrderCancelled& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

class OrderCompletedListener final {
public:
    explicit OrderCompletedListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::OrderCompleted& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

// The three listeners, owned together and subscribed on `subscriber`.
class Listeners final {
public:
    // At most this many order:created events in one transaction.
    static constexpr std::size_t kMaxBatch = 128;

    explicit Listeners(const ListenerContext& ctx);
    void SubscribeAll(bus::EventSubscriber& subscriber);

    OrderCreatedListener order_created;
    OrderCancelledListener order_cancelled;
    OrderCompletedListener order_completed;
};

}  // namespace ticketing::tickets

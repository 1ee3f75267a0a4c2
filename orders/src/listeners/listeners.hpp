// The orders service's listeners (queue group "orders-service"), one subject per file. Each runs
// its work through OrdersTransactions::HandleOnce, so a redelivered event changes nothing, and
// writes the events it causes to the outbox of the same unit of work.
// ticket:created and ticket:updated are taken in batches, one transaction each (a burst of
// listings is a few commits, not one per ticket); a batch in which one event must wait is
// handled one event at a time.
//   ticket:created       → insert the replica (a duplicate is acked)
//   ticket:updated       → apply version N only over N-1; N or more held → duplicate, ack;
//                          a gap or an unknown ticket → retry (dead-lettered when exhausted)
//   expiration:complete  → cancel a created/awaiting:payment order, order:cancelled; else ack
//   payment:created      → complete an order that is not cancelled, order:completed; else ack
// An order id this service never issued is a poison event: dead-letter.
// Thread-safety: Handle may run on several threads at once (one per consumer).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/orders_unit_of_work.hpp"

namespace ticketing::bus {
class EventSubscriber;
}

namespace ticketing::orders {

// What every listener needs: the units of work, and the clock that stamps the events they cause.
struct ListenerContext {
    OrdersTransactions& transactions;
    const util::Clock& clock;
};

class TicketCreatedListener final {
public:
    explicit TicketCreatedListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::TicketCreated& e, const bus::MessageMeta& meta);
    // A batch in one transaction (OrdersTransactions::HandleEachOnce).
    std::vector<bus::AckDecision> HandleBatch(std::span<const events::TicketCreated> events,
                                              std::span<const bus::MessageMeta> metas);
    // The change one event makes, inside the unit of work that records it in the inbox.
    static bus::AckDecision Apply(OrdersUnitOfWork& uow, const events::TicketCreated& e);

private:
    ListenerContext ctx_;
};

class TicketUpdatedListener final {
public:
    explicit TicketUpdatedListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::TicketUpdated& e, const bus::MessageMeta& meta);
    // A batch in one transaction (OrdersTransactions::HandleEachOnce).
    std::vector<bus::AckDecision> HandleBatch(std::span<const events::TicketUpdated> events,
                                              std::span<const bus::MessageMeta> metas);
    // The change one event makes, inside the unit of work that records it in the inbox.
    static bus::AckDecision Apply(OrdersUnitOfWork& uow, const events::TicketUpdated& e);

private:
    ListenerContext ctx_;
};

class ExpirationCompleteListener final {
public:
    explicit ExpirationCompleteListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::ExpirationComplete& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

class PaymentCreatedListener final {
public:
    explicit PaymentCreatedListener(ListenerContext ctx) : ctx_(std::move(ctx)) {}
    bus::AckDecision Handle(const events::PaymentCreated& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

// The four listeners, owned together and subscribed on `subscriber`.
class Listeners final {
public:
    // At most this many ticket events in one transaction.
    static constexpr std::size_t kMaxBatch = 128;

    explicit Listeners(const ListenerContext& ctx);
    void SubscribeAll(bus::EventSubscriber& subscriber);

    TicketCreatedListener ticket_created;
    TicketUpdatedListener ticket_updated;
    ExpirationCompleteListener expiration_complete;
    PaymentCreatedListener payment_created;
};

}  // namespace ticketing::orders

// The payments service's listeners (queue group "payments-service"), one subject per file. Each
// runs its work on the order replica through PaymentsTransactions::HandleOnce, so a redelivered
// event changes nothing.
//   order:created    → insert the replica (a duplicate is acked); in batches of what is queued
//   order:cancelled  → apply version N only over N-1; N or more held → duplicate, ack; a gap or
//                      an unknown order → "not yet" (retried until the retry horizon). Then, on
//                      every delivery that is not a retry, release the order's payment if it is
//                      still authorised; the gateway down → a transient failure (the next
//                      delivery is a duplicate for the replica and tries again, same key)
//   order:completed  → the version rule, as order:cancelled, then capture the order's payment
//                      if it is still authorised, in the same way
// Thread-safety: Handle may run on several threads at once (one per consumer).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

#include "storage/payments_unit_of_work.hpp"

namespace ticketing::bus {
class EventSubscriber;
}

namespace ticketing::payments {

class PaymentService;

// What every listener needs: the units of work and, to settle payments, the payment service.
struct ListenerContext {
    PaymentsTransactions& transactions;
    PaymentService& payments;
};

class OrderCreatedListener final {
public:
    explicit OrderCreatedListener(ListenerContext ctx) : ctx_(ctx) {}
    bus::AckDecision Handle(const events::OrderCreated& e, const bus::MessageMeta& meta);
    // The events queued together, in one transaction (PaymentsTransactions::HandleEachOnce):
    // under a burst of orders, one commit for many replicas instead of one each (issue 20).
    std::vector<bus::AckDecision> HandleBatch(std::span<const events::OrderCreated> events,
                                              std::span<const bus::MessageMeta> metas);

private:
    static bus::AckDecision Apply(PaymentsUnitOfWork& uow, const events::OrderCreated& e);

    ListenerContext ctx_;
};

class OrderCancelledListener final {
public:
    explicit OrderCancelledListener(ListenerContext ctx) : ctx_(ctx) {}
    bus::AckDecision Handle(const events::OrderCancelled& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

class OrderCompletedListener final {
public:
    explicit OrderCompletedListener(ListenerContext ctx) : ctx_(ctx) {}
    bus::AckDecision Handle(const events::OrderCompleted& e, const bus::MessageMeta& meta);

private:
    ListenerContext ctx_;
};

// The version rule shared by order:cancelled and order:completed, inside HandleOnce.
bus::AckDecision ApplyOrderStatus(PaymentsTransactions& transactions,
                                  const bus::MessageMeta& meta,
                                  const std::string& order_id,
                                  events::OrderStatus status,
                                  std::int64_t version);

// After `decision` (ApplyOrderStatus's) is an ack: settles the order's payment
// (PaymentService::SettleOrder), letting GatewayError kUnavailable out as a transient failure.
bus::AckDecision SettleAfter(bus::AckDecision decision,
                             PaymentService& payments,
                             const std::string& order_id);

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

}  // namespace ticketing::payments

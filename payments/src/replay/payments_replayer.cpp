#include "replay/payments_replayer.hpp"

#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/payment_store.hpp"

namespace ticketing::payments {

std::vector<std::string> PaymentsReplayer::Tables() const {
    return {"payments", "payment_attempts", "orders"};  // children first
}

service::EventReplayer::Outcome PaymentsReplayer::Apply(soci::session& tx,
                                                        const bus::StoredEvent& e) {
    auto outcome = [](bool applied) { return applied ? Outcome::kApplied : Outcome::kSkipped; };
    if (e.subject == events::kOrderCreated.name) {
        auto o = events::Decode<events::OrderCreated>(e.payload);
        return outcome(PaymentStore::InsertOrder(
            tx, OrderReplica{o.id, o.user_id, o.ticket.price, o.status, o.version}));
    }
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        return outcome(
            PaymentStore::UpdateOrderFromPrevious(tx, o.id, OrderStatus::kCancelled, o.version));
    }
    if (e.subject == events::kOrderCompleted.name) {
        auto o = events::Decode<events::OrderCompleted>(e.payload);
        return outcome(
            PaymentStore::UpdateOrderFromPrevious(tx, o.id, OrderStatus::kComplete, o.version));
    }
    if (e.subject == events::kPaymentCreated.name) {
        auto p = events::Decode<events::PaymentCreated>(e.payload);
        auto order = PaymentStore::FindOrder(tx, p.order_id);
        if (!order || PaymentStore::FindPaymentOfOrder(tx, p.order_id)) {
            return Outcome::kSkipped;
        }
        auto at = util::ParseIso8601(e.occurred_at).value_or(util::TimePoint{});
        PaymentAttempt attempt;
        attempt.id = p.id;
        attempt.order_id = p.order_id;
        attempt.amount = order->price;
        attempt.status = AttemptStatus::kPending;
        attempt.lease_until = at;
        attempt.created_at = at;
        if (!PaymentStore::InsertAttempt(tx, attempt) ||
            !PaymentStore::SucceedAttempt(tx, attempt.id, p.stripe_id, at)) {
            return Outcome::kSkipped;
        }
        PaymentStore::InsertPayment(tx, Payment{p.id, p.order_id, p.id, p.stripe_id, {}, at});
        return Outcome::kApplied;
    }
    return Outcome::kSkipped;
}

std::vector<db::TableDump> DumpTables() {
    return {
        {"orders", {"id", "user_id", "price", "status", "version"}, "id"},
        {"payments", {"id", "order_id", "stripe_id", "created_at"}, "id"},
    };
}

}  // namespace ticketing::payments

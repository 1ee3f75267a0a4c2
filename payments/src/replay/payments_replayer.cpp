#include "replay/payments_replayer.hpp"

#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/sql_order_replica_repository.hpp"
#include "storage/sql_payment_attempt_repository.hpp"
#include "storage/sql_payment_repository.hpp"

namespace ticketing::payments {

std::vector<std::string> PaymentsReplayer::Tables() const {
    return {"payments", "payment_attempts", "orders"};  // children first
}

service::EventReplayer::Outcome PaymentsReplayer::Apply(const bus::StoredEvent& e) {
    if (e.subject == events::kOrderCreated.name) {
        auto o = events::Decode<events::OrderCreated>(e.payload);
        bool added =
            orders_
                .try_emplace(o.id,
                             OrderReplica{o.id, o.user_id, o.ticket.price, o.status, o.version})
                .second;
        return added ? Outcome::kApplied : Outcome::kSkipped;
    }
    auto change_status = [&](const std::string& id, std::int64_t version, OrderStatus status) {
        return service::ApplyNextVersion(
            orders_, id, version, [&](OrderReplica& order) { order.status = status; });
    };
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        return change_status(o.id, o.version, OrderStatus::kCancelled);
    }
    if (e.subject == events::kOrderCompleted.name) {
        auto o = events::Decode<events::OrderCompleted>(e.payload);
        return change_status(o.id, o.version, OrderStatus::kComplete);
    }
    if (e.subject == events::kPaymentCreated.name) {
        auto p = events::Decode<events::PaymentCreated>(e.payload);
        if (!orders_.contains(p.order_id)) {
            return Outcome::kSkipped;
        }
        auto at = util::ParseIso8601(e.occurred_at).value_or(util::TimePoint{});
        Payment payment;
        payment.id = p.id;
        payment.order_id = p.order_id;
        payment.attempt_id = p.id;
        payment.stripe_id = p.stripe_id;
        payment.created_at = at;
        bool added = payments_.try_emplace(p.order_id, std::move(payment)).second;
        return added ? Outcome::kApplied : Outcome::kSkipped;
    }
    return Outcome::kSkipped;
}

void PaymentsReplayer::Write(soci::session& tx) {
    // Few rows next to tickets and orders (one per paid order): the repositories' statements do.
    SqlOrderReplicaRepository orders(tx);
    SqlPaymentAttemptRepository attempts(tx);
    SqlPaymentRepository payments(tx);
    for (const auto& [id, order] : orders_) {
        orders.Insert(order);
    }
    for (const auto& [order_id, payment] : payments_) {
        PaymentAttempt attempt;
        attempt.id = payment.attempt_id;
        attempt.order_id = order_id;
        attempt.amount = orders_.at(order_id).price;
        attempt.status = AttemptStatus::kPending;
        attempt.lease_until = payment.created_at;
        attempt.created_at = payment.created_at;
        attempts.Insert(attempt);
        attempts.MarkSucceeded(attempt.id, payment.stripe_id, payment.created_at);
        Payment authorized = payment;
        authorized.amount = attempt.amount;  // status: authorized (see the header)
        payments.Insert(authorized);
    }
}

std::vector<db::TableDump> DumpTables() {
    return {
        {"orders", {"id", "user_id", "price", "status", "version"}, "id"},
        {"payments", {"id", "order_id", "stripe_id", "created_at"}, "id"},
    };
}

}  // namespace ticketing::payments

#include "listeners/listeners.hpp"

#include "common/bus/inbox.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/database.hpp"

#include "storage/payment_store.hpp"

namespace ticketing::payments {

bus::AckDecision ApplyOrderStatus(db::Database& db,
                                  const bus::MessageMeta& meta,
                                  const std::string& order_id,
                                  events::OrderStatus status,
                                  std::int64_t version) {
    return bus::HandleOnce(db, meta, [&](soci::session& tx) {
        if (PaymentStore::UpdateOrderFromPrevious(tx, order_id, status, version)) {
            return bus::AckDecision::kAck;
        }
        auto held = PaymentStore::FindOrder(tx, order_id);
        if (held && held->version >= version) {
            return bus::AckDecision::kAck;  // this version or a newer one is applied already
        }
        // A gap (or order:created not seen yet): wait for the missing version.
        return bus::AckDecision::kRetry;
    });
}

Listeners::Listeners(const ListenerContext& ctx)
    : order_created(ctx), order_cancelled(ctx), order_completed(ctx) {}

void Listeners::SubscribeAll(bus::EventSubscriber& subscriber) {
    subscriber.Subscribe<events::OrderCreated>(
        [this](const auto& e, const auto& m) { return order_created.Handle(e, m); });
    subscriber.Subscribe<events::OrderCancelled>(
        [this](const auto& e, const auto& m) { return order_cancelled.Handle(e, m); });
    subscriber.Subscribe<events::OrderCompleted>(
        [this](const auto& e, const auto& m) { return order_completed.Handle(e, m); });
}

}  // namespace ticketing::payments

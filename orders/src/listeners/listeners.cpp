#include "listeners/listeners.hpp"

#include "common/bus/subscriber.hpp"

namespace ticketing::orders {

Listeners::Listeners(const ListenerContext& ctx)
    : ticket_created(ctx), ticket_updated(ctx), expiration_complete(ctx), payment_created(ctx) {}

void Listeners::SubscribeAll(bus::EventSubscriber& subscriber) {
    subscriber.SubscribeBatch<events::TicketCreated>(
        [this](auto events, auto metas) { return ticket_created.HandleBatch(events, metas); },
        kMaxBatch);
    subscriber.SubscribeBatch<events::TicketUpdated>(
        [this](auto events, auto metas) { return ticket_updated.HandleBatch(events, metas); },
        kMaxBatch);
    subscriber.Subscribe<events::ExpirationComplete>(
        [this](const auto& e, const auto& m) { return expiration_complete.Handle(e, m); });
    subscriber.Subscribe<events::PaymentCreated>(
        [this](const auto& e, const auto& m) { return payment_created.Handle(e, m); });
}

}  // namespace ticketing::orders

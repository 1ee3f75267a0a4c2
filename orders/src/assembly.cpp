#include "assembly.hpp"

#include "common/auth/session.hpp"
#include "common/bus/subscriber.hpp"

#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"

namespace ticketing::orders {

OrderService& Assemble(service::ServiceBuilder& b, const Settings& settings) {
    b.OpenDatabase(Migrations());
    b.ConnectBus();
    auto& service = b.Make<OrderService>(
        b.db(), b.clock(), b.ids(), settings.expiration_window, b.EventsWritten());
    auto& listeners = b.Make<Listeners>(ListenerContext{b.db(), b.clock(), b.EventsWritten()});
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions());
    b.Routes(BuildRouter(service, session));
    return service;
}

}  // namespace ticketing::orders

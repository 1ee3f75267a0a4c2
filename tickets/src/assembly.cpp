#include "assembly.hpp"

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/subscriber.hpp"

#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

TicketService& Assemble(service::ServiceBuilder& b) {
    b.OpenDatabase(Migrations());
    b.PruneAlso(TicketStore::CancelledOrdersRetention());
    b.ConnectBus();
    auto& service = b.Make<TicketService>(b.db(), b.clock(), b.ids(), b.EventsWritten());
    auto& listeners = b.Make<Listeners>(ListenerContext{b.db(), b.clock(), b.EventsWritten()});
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions());
    b.Routes(BuildRouter(service, session));
    return service;
}

}  // namespace ticketing::tickets

#include "assembly.hpp"

#include "common/auth/session.hpp"
#include "common/bus/subscriber.hpp"

#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_ticket_repository.hpp"

namespace ticketing::tickets {

TicketService& Assemble(service::ServiceBuilder& b) {
    b.OpenDatabase(Migrations());
    b.PruneAlso(SqlTicketRepository::CancelledOrdersRetention());
    b.ConnectBus();
    auto& transactions =
        b.Make<SqlTicketsTransactions>(b.db(), b.EventsWritten(), b.EventsCommitted());
    auto& service = b.Make<TicketService>(transactions, b.clock(), b.ids());
    auto& listeners = b.Make<Listeners>(ListenerContext{transactions, b.clock()});
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions());
    b.Routes(BuildRouter(service, session, b.ReadDispatch(), b.QueuedWriteDispatch()));
    return service;
}

}  // namespace ticketing::tickets

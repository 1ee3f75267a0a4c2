#include "assembly.hpp"

#include "common/auth/session.hpp"
#include "common/bus/subscriber.hpp"

#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_order_repository.hpp"

namespace ticketing::orders {

OrderService& Assemble(service::ServiceBuilder& b, const Settings& settings) {
    b.OpenDatabase(Migrations());
    b.ConnectBus();
    auto& transactions =
        b.Make<SqlOrdersTransactions>(b.db(), b.EventsWritten(), b.EventsCommitted());
    auto& service =
        b.Make<OrderService>(transactions, b.clock(), b.ids(), settings.expiration_window);
    auto& listeners = b.Make<Listeners>(ListenerContext{transactions, b.clock()});
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions());
    b.Routes(BuildRouter(service, session, b.ReadDispatch(), b.QueuedWriteDispatch()));
    return service;
}

}  // namespace ticketing::orders

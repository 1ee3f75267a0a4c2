#include "handlers/handlers.hpp"

namespace ticketing::orders {

http::Router BuildRouter(OrderService& service,
                         const auth::SessionSettings& session,
                         http::Dispatch reads,
                         http::Dispatch queued_writes) {
    http::Router router;
    // On SQLite it blocks nowhere (its write is queued, OrderService::CreateAsync).
    router.PostAsync("/api/orders", CreateOrderHandler(service, session), queued_writes);
    router.Get("/api/orders", ListOrdersHandler(service, session));  // a page: on a worker
    router.Get("/api/orders/:id", ShowOrderHandler(service, session), reads);
    router.Delete("/api/orders/:id", CancelOrderHandler(service, session));
    return router;
}

}  // namespace ticketing::orders

#include "handlers/handlers.hpp"

namespace ticketing::orders {

http::Router BuildRouter(OrderService& service, const auth::SessionSettings& session) {
    http::Router router;
    router.Post("/api/orders", CreateOrderHandler(service, session));
    router.Get("/api/orders", ListOrdersHandler(service, session));
    router.Get("/api/orders/:id", ShowOrderHandler(service, session));
    router.Delete("/api/orders/:id", CancelOrderHandler(service, session));
    return router;
}

}  // namespace ticketing::orders

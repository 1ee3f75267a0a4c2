#include "handlers/handlers.hpp"

namespace ticketing::orders {

// DELETE /api/orders/:id → 204; checks: 401, 404, 401 not the owner, 400 completed.
http::Handler CancelOrderHandler(OrderService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        service.Cancel(user.id, req.Param("id"), req.traceparent());
        return http::Response::Empty(204);
    };
}

}  // namespace ticketing::orders

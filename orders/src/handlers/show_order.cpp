
#include "handlers/handlers.hpp"

namespace ticketing::orders {

// GET /api/orders/:id → 200 order; checks: 401, 404, 401 another user's order.
http::Handler ShowOrderHandler(OrderService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        return OrderAnswer(200, service.Get(user.id, req.Param("id")));
    };
}

}  // namespace ticketing::orders

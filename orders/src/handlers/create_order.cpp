#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::orders {

// POST /api/orders {ticketId} → 201 order; checks: 401, ticketId present, 404, 400 reserved.
http::Handler CreateOrderHandler(OrderService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string ticket_id = v.Id("ticketId", "TicketId must be provided");
        v.Check();
        Order order = service.Create(user.id, ticket_id, req.traceparent());
        return http::Response::Json(201, ToJson(order));
    };
}

}  // namespace ticketing::orders

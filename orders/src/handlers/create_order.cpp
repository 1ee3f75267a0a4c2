#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::orders {

// POST /api/orders {ticketId} → 201 order; checks: 401, ticketId present, 404, 400 reserved.
// Answered once the order and its event have committed, from the thread that committed them:
// the request holds no thread while its write waits for its group (issue 20).
http::AsyncHandler CreateOrderHandler(OrderService& service,
                                      const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req, http::Reply reply) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string ticket_id = v.Id("ticketId", "TicketId must be provided");
        v.Check();
        service.CreateAsync(user.id,
                            ticket_id,
                            req.traceparent(),
                            [reply](const std::optional<Order>& order, std::exception_ptr error) {
                                if (error) {
                                    reply(std::move(error));
                                } else {
                                    reply(OrderAnswer(201, *order));
                                }
                            });
    };
}

}  // namespace ticketing::orders

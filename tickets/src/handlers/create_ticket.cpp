#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// POST /api/tickets {title, price} → 201 ticket, version 0; checks: 401, title, price.
http::Handler CreateTicketHandler(TicketService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string title = v.Text("title", 1, kMaxTitleLength, kTitleRequired, kTitleCharacters);
        auto price = v.Price("price");
        v.Check();
        Ticket ticket = service.Create(user.id, title, *price, req.traceparent());
        return TicketAnswer(201, ticket);
    };
}

}  // namespace ticketing::tickets

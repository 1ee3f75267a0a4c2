#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// PUT /api/tickets/:id {title, price} → 200 ticket, version + 1; checks: 401, validation, 404,
// 401 not the seller, 400 reserved (409 when concurrent edits keep winning).
http::Handler UpdateTicketHandler(TicketService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string title = v.Text("title", 1, kMaxTitleLength, kTitleRequired, kTitleCharacters);
        auto price = v.Price("price");
        v.Check();
        Ticket ticket = service.Update(user.id, req.Param("id"), title, *price, req.traceparent());
        return TicketAnswer(200, ticket);
    };
}

}  // namespace ticketing::tickets

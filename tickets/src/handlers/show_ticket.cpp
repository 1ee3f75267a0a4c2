#include <string>
#include <utility>

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// GET /api/tickets/:id → 200 ticket (reserved ones too); 404 unknown or malformed id.
http::Handler ShowTicketHandler(TicketService& service) {
    return [&service](http::Request& req) {
        std::string body;
        AppendTicketJson(body, service.Get(req.Param("id")));
        return http::Response::JsonText(200, std::move(body));
    };
}

}  // namespace ticketing::tickets

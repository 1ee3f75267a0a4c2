#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// GET /api/tickets/:id → 200 ticket (reserved ones too); 404 unknown or malformed id.
http::Handler ShowTicketHandler(TicketService& service) {
    return [&service](http::Request& req) {
        return TicketAnswer(200, service.Get(req.Param("id")));
    };
}

}  // namespace ticketing::tickets

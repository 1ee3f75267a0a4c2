#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// GET /api/tickets[?limit=N][&after=<id>] → 200 unreserved tickets, oldest first; the next page
// is ?after=<the last id>. 400 for a bad limit or after.
http::Handler ListTicketsHandler(TicketService& service) {
    return [&service](http::Request& req) {
        PageRequest page = ParsePageRequest(req.Query("limit"), req.Query("after"));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& t : service.ListUnreserved(page)) {
            list.push_back(ToJson(t));
        }
        return http::Response::Json(200, list);
    };
}

}  // namespace ticketing::tickets

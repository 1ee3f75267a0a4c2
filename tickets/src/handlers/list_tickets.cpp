#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"
#include "handlers/page_request.hpp"

namespace ticketing::tickets {

// GET /api/tickets[?limit=N][&before=<id>] → 200 unreserved tickets, newest first; the next
// page is ?before=<the last id>. With ?after=<id>: oldest first from after that id (the course's
// way of paging). 400 for a bad limit, before or after, or both of the last two.
http::Handler ListTicketsHandler(TicketService& service) {
    return [&service](http::Request& req) {
        PageRequest page =
            ParsePageRequest(req.Query("limit"), req.Query("before"), req.Query("after"));
        std::string body = "[";
        for (const auto& t : service.ListUnreserved(page)) {
            if (body.size() > 1) {
                body += ',';
            }
            AppendTicketJson(body, t);
        }
        body += ']';
        return http::Response::JsonText(200, std::move(body));
    };
}

// GET /api/tickets/mine[?limit=N][&before=<id>] → 401 without a session; 200 the seller's own
// tickets in every state, newest first, each with "state": available, reserved or sold.
http::Handler ListMyTicketsHandler(TicketService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        PageRequest page =
            ParsePageRequest(req.Query("limit"), req.Query("before"), req.Query("after"));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& t : service.ListOfSeller(user.id, page)) {
            nlohmann::json j = ToJson(t);
            j["state"] = ToString(StateOf(t));
            list.push_back(std::move(j));
        }
        return http::Response::Json(200, list);
    };
}

}  // namespace ticketing::tickets

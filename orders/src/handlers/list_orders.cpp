#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::orders {

nlohmann::json ToJson(const Order& o) {
    return {{"id", o.id},
            {"userId", o.user_id},
            {"status", events::ToString(o.status)},
            {"expiresAt", util::FormatIso8601(o.expires_at)},
            {"version", o.version},
            {"ticket",
             {{"id", o.ticket.id},
              {"title", o.ticket.title},
              {"price", util::CentsToJsonNumber(o.ticket.price)},
              {"version", o.ticket.version}}}};
}

// GET /api/orders → 200 the caller's orders, oldest first.
http::Handler ListOrdersHandler(OrderService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        nlohmann::json list = nlohmann::json::array();
        for (const auto& o : service.List(user.id)) {
            list.push_back(ToJson(o));
        }
        return http::Response::Json(200, list);
    };
}

}  // namespace ticketing::orders

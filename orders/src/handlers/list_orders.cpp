#include <nlohmann/json.hpp>

#include "common/util/json_text.hpp"

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

void AppendOrderJson(std::string& out, const Order& o) {
    // nlohmann's order: its objects keep their keys sorted.
    util::JsonObjectWriter(out)
        .String("expiresAt", util::FormatIso8601(o.expires_at))
        .String("id", o.id)
        .String("status", events::ToString(o.status))
        .Object("ticket")
        .String("id", o.ticket.id)
        .Number("price", util::CentsToJsonNumber(o.ticket.price))
        .String("title", o.ticket.title)
        .Integer("version", o.ticket.version)
        .End()
        .String("userId", o.user_id)
        .Integer("version", o.version)
        .End();
}

http::Response OrderAnswer(int status, const Order& order) {
    std::string body;
    body.reserve(320);
    AppendOrderJson(body, order);
    return http::Response::JsonText(status, std::move(body));
}

// GET /api/orders → 200 the caller's orders, oldest first.
http::Handler ListOrdersHandler(OrderService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        std::string body = "[";
        for (const auto& o : service.List(user.id)) {
            if (body.size() > 1) {
                body += ',';
            }
            AppendOrderJson(body, o);
        }
        body += ']';
        return http::Response::JsonText(200, std::move(body));
    };
}

}  // namespace ticketing::orders

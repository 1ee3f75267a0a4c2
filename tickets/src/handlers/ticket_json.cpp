#include <nlohmann/json.hpp>

#include "common/util/json_text.hpp"
#include "handlers/handlers.hpp"

namespace ticketing::tickets {

nlohmann::json ToJson(const Ticket& t) {
    nlohmann::json j = {{"id", t.id},
                        {"title", t.title},
                        {"price", util::CentsToJsonNumber(t.price)},
                        {"userId", t.user_id},
                        {"version", t.version}};
    if (t.order_id) {
        j["orderId"] = *t.order_id;
    }
    return j;
}

void AppendTicketJson(std::string& out, const Ticket& t) {
    // nlohmann's order: its objects keep their keys sorted.
    util::JsonObjectWriter w(out);
    w.String("id", t.id);
    if (t.order_id) {
        w.String("orderId", *t.order_id);
    }
    w.Number("price", util::CentsToJsonNumber(t.price))
        .String("title", t.title)
        .String("userId", t.user_id)
        .Integer("version", t.version)
        .End();
}

http::Response TicketAnswer(int status, const Ticket& ticket) {
    std::string body;
    AppendTicketJson(body, ticket);
    return http::Response::JsonText(status, std::move(body));
}

}  // namespace ticketing::tickets

#include <nlohmann/json.hpp>

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

}  // namespace ticketing::tickets

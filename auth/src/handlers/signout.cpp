#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signout → 200 {} and the cookie cleared.
http::Handler SignOutHandler() {
    return [](http::Request&) {
        return http::Response::Json(200, nlohmann::json::object())
            .AddHeader("Set-Cookie", auth::SignOutSetCookie());
    };
}

}  // namespace ticketing::auth_service

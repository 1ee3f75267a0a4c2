#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// GET /api/users/currentuser → {"currentUser": {id, email, iat, exp}} or {"currentUser": null}.
http::Handler CurrentUserHandler(const auth::SessionSettings& session) {
    return [&session](http::Request& req) {
        auto user = auth::CurrentUser(req, session);
        return http::Response::Json(
            200, {{"currentUser", user ? auth::ToJson(*user) : nlohmann::json(nullptr)}});
    };
}

}  // namespace ticketing::auth_service

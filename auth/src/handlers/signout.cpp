#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signout → 200 {} and the cookie cleared. A valid session is revoked first,
// everywhere (DESIGN.md section 13); if that cannot be recorded the answer is 503 and the cookie
// stays, so the client can sign out again.
http::Handler SignOutHandler(const AuthRoutes& r) {
    return [r](http::Request& req) {
        if (auto user = auth::CurrentUser(req, r.session)) {
            r.revoker.Revoke(*user, req.traceparent());
        }
        return http::Response::Json(200, nlohmann::json::object())
            .AddHeader("Set-Cookie", auth::SignOutSetCookie());
    };
}

}  // namespace ticketing::auth_service

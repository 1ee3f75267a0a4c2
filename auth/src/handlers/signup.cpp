#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signup {email, password} → 201 {id, email} + session cookie.
http::Handler SignUpHandler(const AuthRoutes& r) {
    return [r](http::Request& req) {
        EnforceThrottle(r.per_address.Allow(req.ClientAddress()));
        validation::Validator v(req.JsonBody());
        std::string email = v.Email("email", "Email must be valid");
        std::string password =
            v.StringLength("password", 8, 128, "Password must be between 8 and 128 characters");
        v.Check();
        User user = r.service.SignUp(email, password);
        std::string token = auth::IssueToken(user.id, user.email, r.session);
        return http::Response::Json(201, {{"id", user.id}, {"email", user.email}})
            .AddHeader("Set-Cookie", auth::SignInSetCookie(token, req.IsHttps()));
    };
}

}  // namespace ticketing::auth_service

#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signin {email, password} → 200 {id, email} + session cookie.
http::Handler SignInHandler(AuthService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        validation::Validator v(req.JsonBody());
        std::string email = v.Email("email", "Email must be valid");
        std::string password = v.RequiredString("password", "You must supply a password");
        v.Check();
        User user = service.SignIn(email, password);
        std::string token = auth::IssueToken(user.id, user.email, session);
        return http::Response::Json(200, {{"id", user.id}, {"email", user.email}})
            .AddHeader("Set-Cookie", auth::SignInSetCookie(token, req.IsHttps()));
    };
}

}  // namespace ticketing::auth_service

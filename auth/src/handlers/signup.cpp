#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signup {email, password} → 201 {id, email} + session cookie.
http::Handler SignUpHandler(AuthService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        validation::Validator v(req.JsonBody());
        std::string email = v.Email("email", "Email must be valid");
        std::string password =
            v.StringLength("password", 8, 128, "Password must be between 8 and 128 characters");
        v.Check();
        User user = service.SignUp(email, password);
        std::string token = auth::IssueToken(user.id, user.email, session);
        return http::Response::Json(201, {{"id", user.id}, {"email", user.email}})
            .AddHeader("Set-Cookie", auth::SignInSetCookie(token, req.IsHttps()));
    };
}

}  // namespace ticketing::auth_service

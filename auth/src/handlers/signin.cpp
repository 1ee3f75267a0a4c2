#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

// POST /api/users/signin {email, password} → 200 {id, email} + session cookie.
http::Handler SignInHandler(const AuthRoutes& r) {
    return [r](http::Request& req) {
        EnforceThrottle(r.per_address.Allow(req.ClientAddress()));
        validation::Validator v(req.JsonBody());
        std::string email = v.Email("email", "Email must be valid");
        std::string password = v.RequiredString("password", "You must supply a password");
        // No password is longer (sign-up's rule): refuse before spending a hash on it.
        std::size_t characters = 0;
        for (unsigned char c : password) {
            characters += (c & 0xC0) != 0x80 ? 1 : 0;  // UTF-8: count every non-continuation byte
        }
        if (characters > 128) {
            v.Fail("password", "Password must be between 8 and 128 characters");
        }
        v.Check();
        EnforceThrottle(r.per_account.Allow(email));
        User user = r.service.SignIn(email, password);
        std::string token = auth::IssueToken(user.id, user.email, r.session);
        return http::Response::Json(200, {{"id", user.id}, {"email", user.email}})
            .AddHeader("Set-Cookie", auth::SignInSetCookie(token, req.IsHttps()));
    };
}

}  // namespace ticketing::auth_service

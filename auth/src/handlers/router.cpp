#include "handlers/handlers.hpp"

namespace ticketing::auth_service {

http::Router BuildRouter(AuthService& service, const auth::SessionSettings& session) {
    http::Router router;
    router.Post("/api/users/signup", SignUpHandler(service, session));
    router.Post("/api/users/signin", SignInHandler(service, session));
    router.Post("/api/users/signout", SignOutHandler());
    // Reads only the cookie: cheap and non-blocking, so it runs on the I/O threads.
    router.Get("/api/users/currentuser", CurrentUserHandler(session), http::Dispatch::kInline);
    return router;
}

}  // namespace ticketing::auth_service

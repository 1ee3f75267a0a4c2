#include "handlers/handlers.hpp"

#include "common/http/errors.hpp"

namespace ticketing::auth_service {

void EnforceThrottle(const Throttle::Decision& decision) {
    if (!decision.allowed) {
        throw http::TooManyRequestsError(decision.retry_after);
    }
}

http::Router BuildRouter(const AuthRoutes& routes) {
    http::Router router;
    router.Post("/api/users/signup", SignUpHandler(routes));
    router.Post("/api/users/signin", SignInHandler(routes));
    router.Post("/api/users/signout", SignOutHandler(routes));
    // Reads only the cookie: cheap and non-blocking, so it runs on the I/O threads.
    router.Get("/api/users/currentuser", CurrentUserHandler(routes.session), http::Dispatch::kInline);
    return router;
}

}  // namespace ticketing::auth_service

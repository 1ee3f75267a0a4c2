// The auth service's routes (DESIGN.md section 4, auth table), one per file. Each handler
// parses and validates the request, calls AuthService, and shapes the response and cookie.
// Sign-in and sign-up are throttled here per client address (and sign-in per account too), so
// the limits hold whether or not the ingress is in front (DESIGN.md section 13).
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/auth_service.hpp"
#include "domain/session_revoker.hpp"
#include "domain/throttle.hpp"

namespace ticketing::auth_service {

// What the routes use (the handlers copy it); everything it refers to must outlive the router.
struct AuthRoutes {
    AuthService& service;
    const auth::SessionSettings& session;
    SessionRevoker& revoker;
    Throttle& per_address;  // sign-in and sign-up attempts per client address
    Throttle& per_account;  // sign-in attempts per email
};

http::Handler SignUpHandler(const AuthRoutes& r);
http::Handler SignInHandler(const AuthRoutes& r);
http::Handler SignOutHandler(const AuthRoutes& r);
http::Handler CurrentUserHandler(const auth::SessionSettings& session);

// 429 "Too many requests, please retry later" with Retry-After, when `decision` refuses.
void EnforceThrottle(const Throttle::Decision& decision);

// All four routes under /api/users.
http::Router BuildRouter(const AuthRoutes& routes);

}  // namespace ticketing::auth_service

// The auth service's routes (DESIGN.md section 4, auth table), one per file. Each handler
// parses and validates the request, calls AuthService, and shapes the response and cookie.
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/auth_service.hpp"

namespace ticketing::auth_service {

http::Handler SignUpHandler(AuthService& service, const auth::SessionSettings& session);
http::Handler SignInHandler(AuthService& service, const auth::SessionSettings& session);
http::Handler SignOutHandler();
http::Handler CurrentUserHandler(const auth::SessionSettings& session);

// All four routes under /api/users.
http::Router BuildRouter(AuthService& service, const auth::SessionSettings& session);

}  // namespace ticketing::auth_service

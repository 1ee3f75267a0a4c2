// SessionRevoker: the port through which sign-out revokes a session everywhere (DESIGN.md section
// 13): SqlSessionRevoker writes a session:revoked event to auth's outbox, and every process that
// checks sessions follows those events until the token's exp.
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <string>

#include "common/auth/jwt.hpp"

namespace ticketing::auth_service {

class SessionRevoker {
public:
    virtual ~SessionRevoker() = default;
    // Throws db::UnavailableError when the revocation cannot be recorded.
    virtual void Revoke(const auth::UserPayload& session, const std::string& traceparent) = 0;
};

}  // namespace ticketing::auth_service

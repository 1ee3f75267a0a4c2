// Session: the `session` cookie that carries the JWT (DESIGN.md section 4 "Session"), as the
// course's cookie-session wrote it: standard base64 (with padding) of {"jwt":"<token>"}.
// Used by the auth service's handlers (set and clear the cookie) and by every service's handlers
// (CurrentUser, RequireAuth). A missing, malformed, expired or forged cookie means "not signed
// in", never an error by itself.
// Thread-safety: pure functions; SessionSettings must stay unchanged while in use (its clock is
// read concurrently, which Clock allows).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>

#include "common/auth/jwt.hpp"
#include "common/util/clock.hpp"

namespace ticketing::http {
class Request;
}  // namespace ticketing::http

namespace ticketing::auth {

inline constexpr std::string_view kSessionCookieName = "session";

// Tokens revoked by sign-out (DESIGN.md section 13), by jti, each kept until its exp: after that
// the token is invalid anyway. Every process that checks sessions holds one, filled from the
// session:revoked events.
// Thread-safety: safe from any thread.
class RevocationList {
public:
    void Revoke(const std::string& jti, std::int64_t exp_seconds, util::TimePoint now);
    bool IsRevoked(std::string_view jti) const;
    std::size_t size() const;

private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::int64_t> revoked_;  // jti -> exp (seconds)
    std::int64_t next_prune_ms_ = 0;
};

struct SessionSettings {
    VerificationKeys keys;                 // JWT_PUBLIC_KEYS_DIR
    std::optional<SigningKey> signer;      // auth only: JWT_PRIVATE_KEY_FILE, JWT_KEY_ID
    std::chrono::seconds ttl{86400};       // SESSION_TTL_SECONDS
    const util::Clock* clock = nullptr;    // must outlive every use; never null in use
    const RevocationList* revoked = nullptr;  // may be null: nothing is revoked
};

// base64({"jwt":"<token>"}), the cookie's value.
std::string SessionCookieValue(std::string_view token);
// The token inside a cookie value; nullopt unless it is padded standard base64 of a JSON object
// with a string "jwt".
std::optional<std::string> TokenFromSessionCookie(std::string_view value);

// "session=<value>; path=/; httponly; samesite=lax", plus "; secure" when `secure` (the request
// came over HTTPS, http::Request::IsHttps).
std::string SignInSetCookie(std::string_view token, bool secure);
// Clears the cookie: "session=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly;
// samesite=lax".
std::string SignOutSetCookie();

// A token for a user who just signed up or in: SignJwt with the settings' signer, clock and ttl.
// Throws std::logic_error when the settings have no signer (only auth has one).
std::string IssueToken(const std::string& id,
                       const std::string& email,
                       const SessionSettings& settings);

// The signed-in user given the session cookie's value (nullopt when there is no cookie, or the
// token is invalid, expired or revoked).
std::optional<UserPayload> CurrentUserFromCookie(std::optional<std::string_view> cookie_value,
                                                 const SessionSettings& settings);
// The signed-in user of a request, or nullopt.
std::optional<UserPayload> CurrentUser(const http::Request& request,
                                       const SessionSettings& settings);
// The signed-in user of a request; throws http::NotAuthorizedError (401) when there is none.
UserPayload RequireAuth(const http::Request& request, const SessionSettings& settings);

}  // namespace ticketing::auth

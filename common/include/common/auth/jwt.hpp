// JWT: the signed session token every service trusts (DESIGN.md section 4 "Session"): HS256 over
// {id, email, iat, exp} with the shared JWT_KEY. Only HS256 is accepted: a token whose header
// names any other alg ("none", HS512, RS256, ...) is rejected before libjwt sees it.
// Used by session.hpp (cookies, CurrentUser) and the auth service (signing up and in).
// libjwt stays inside jwt.cpp.
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/util/clock.hpp"

namespace ticketing::auth {

struct UserPayload {
    std::string id;
    std::string email;
    std::int64_t iat = 0;  // seconds since the epoch
    std::int64_t exp = 0;  // seconds since the epoch; the token is valid while now < exp

    bool operator==(const UserPayload&) const = default;
};

// {"id": ..., "email": ..., "iat": ..., "exp": ...}: what GET /api/users/currentuser returns.
nlohmann::json ToJson(const UserPayload& user);

// An HS256 token with iat = now (whole seconds, rounded down) and exp = iat + ttl.
// Throws std::invalid_argument for an empty key, std::runtime_error if libjwt fails.
std::string SignJwt(const std::string& id,
                    const std::string& email,
                    std::string_view key,
                    util::TimePoint now,
                    std::chrono::seconds ttl);

// The payload of a valid token; nullopt for anything else: not three base64url segments, a header
// that is not JSON or whose alg is not "HS256", a bad signature, an empty key, missing claims or
// claims of the wrong type (id and email non-empty strings, iat and exp integers), exp <= now.
// Never throws on bad input.
std::optional<UserPayload> VerifyJwt(std::string_view token,
                                     std::string_view key,
                                     util::TimePoint now);

}  // namespace ticketing::auth

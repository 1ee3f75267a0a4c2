// JWT: the signed session token (DESIGN.md sections 4 "Session" and 13). ES256 (ECDSA P-256 with
// SHA-256) over {id, email, iat, exp, jti}, with the signing key's id in the header's `kid`.
// Only auth holds a SigningKey; every service that checks sessions holds VerificationKeys: the
// public keys by kid, so that during a rotation tokens of the old and the new key are both
// valid. Only ES256 is accepted: a header naming any other alg ("none", HS256 with the public
// key as the secret, RS256, ...) or an unknown kid is rejected before any signature check.
// Signing goes through libjwt; verification through OpenSSL with keys parsed once at start-up
// (libjwt would parse the PEM on every request). OpenSSL and libjwt stay inside jwt.cpp.
// Thread-safety: SigningKey and VerificationKeys are immutable after construction (the cache of
// verified tokens inside VerificationKeys is locked); the functions are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/util/clock.hpp"

namespace ticketing::auth {

struct UserPayload {
    std::string id;
    std::string email;
    std::int64_t iat = 0;  // seconds since the epoch
    std::int64_t exp = 0;  // seconds since the epoch; the token is valid while now < exp
    std::string jti;       // the token's own id: what sign-out revokes

    bool operator==(const UserPayload&) const = default;
};

// {"id": ..., "email": ..., "iat": ..., "exp": ...}: what GET /api/users/currentuser returns
// (the course's shape; jti stays internal).
nlohmann::json ToJson(const UserPayload& user);

// A P-256 private key in PEM and its kid. Throws std::invalid_argument when the PEM is not an
// EC P-256 private key or the kid is empty or not made of [A-Za-z0-9._-] (it names a file).
class SigningKey {
public:
    SigningKey(std::string private_pem, std::string kid);
    // Reads the PEM file; the kid is `kid` or, when empty, the file name without ".pem".
    // Throws std::runtime_error naming the file (never its content) when it cannot be read.
    static SigningKey FromFile(const std::string& path, std::string kid);

    const std::string& kid() const noexcept { return kid_; }
    const std::string& private_pem() const noexcept { return private_pem_; }

private:
    std::string private_pem_;
    std::string kid_;
};

// The public keys tokens may be signed with, by kid.
class VerificationKeys {
public:
    VerificationKeys();  // none: every token is rejected
    // (kid, public key PEM) pairs. Throws std::invalid_argument for a PEM that is not an EC
    // P-256 public key, an invalid kid or a kid given twice.
    static VerificationKeys FromPem(const std::vector<std::pair<std::string, std::string>>& keys);
    // Every "<kid>.pem" in `dir` (other files are ignored). Throws std::runtime_error naming
    // the directory when it cannot be read or holds no key, std::invalid_argument as FromPem.
    static VerificationKeys FromDirectory(const std::string& dir);

    std::vector<std::string> kids() const;
    bool empty() const;

private:
    struct Impl;
    friend std::optional<UserPayload> VerifyJwt(std::string_view,
                                                const VerificationKeys&,
                                                util::TimePoint);
    std::shared_ptr<Impl> impl_;
};

// A fresh P-256 key pair in PEM (for tests and for generating keys without the openssl CLI).
struct KeyPairPem {
    std::string private_pem;
    std::string public_pem;
};
KeyPairPem GenerateKeyPair();

// An ES256 token with kid = key.kid(), iat = now (whole seconds, rounded down), exp = iat + ttl
// and a random 128-bit jti. Throws std::runtime_error if signing fails.
std::string SignJwt(const std::string& id,
                    const std::string& email,
                    const SigningKey& key,
                    util::TimePoint now,
                    std::chrono::seconds ttl);

// The payload of a valid token; nullopt for anything else: not three base64url segments, a header
// that is not JSON, whose alg is not "ES256" or whose kid is not one of `keys`, a bad signature,
// missing claims or claims of the wrong type (id, email and jti non-empty strings, iat and exp
// integers), exp <= now. Never throws on bad input.
std::optional<UserPayload> VerifyJwt(std::string_view token,
                                     const VerificationKeys& keys,
                                     util::TimePoint now);

}  // namespace ticketing::auth

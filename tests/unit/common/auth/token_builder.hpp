// Hand-built JWTs for the auth unit tests: any header, any payload, signed with HMAC-SHA256 or
// HMAC-SHA512 (libsodium), ES256 (OpenSSL) or not at all, so tests can forge what an attacker
// would send and build valid tokens with odd claims.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace ticketing::test {

enum class TokenSignature { kNone, kHs256, kHs512, kEs256 };

std::string Base64Url(std::string_view bytes);

// base64url(header).base64url(payload).base64url(signature); the signature part is empty for
// kNone. `key` is the HMAC secret, or for kEs256 a P-256 private key in PEM.
std::string BuildToken(std::string_view header_json,
                       std::string_view payload_json,
                       std::string_view key,
                       TokenSignature signature);

}  // namespace ticketing::test

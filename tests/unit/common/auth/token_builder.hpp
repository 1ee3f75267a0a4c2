// Hand-built JWTs for the auth unit tests: any header, any payload, signed with HMAC-SHA256 or
// HMAC-SHA512 (libsodium) or not at all, so tests can forge what an attacker would send.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace ticketing::test {

enum class TokenSignature { kNone, kHs256, kHs512 };

std::string Base64Url(std::string_view bytes);

// base64url(header).base64url(payload).base64url(signature); the signature part is empty for
// kNone.
std::string BuildToken(std::string_view header_json,
                       std::string_view payload_json,
                       std::string_view key,
                       TokenSignature signature);

}  // namespace ticketing::test

// Session keys for tests (DESIGN.md section 13): one ES256 key pair per test process, made in
// memory on first use and also written where a service binary loads keys from, so fixtures and
// spawned services agree. Tokens of a second, unknown key are there to forge with.
// Thread-safety: SessionKeys() is safe from any thread (a function-local static).
#pragma once

#include <chrono>
#include <string>

#include "common/auth/session.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/util/clock.hpp"

namespace ticketing::test {

struct TestSessionKeys {
    auth::SigningKey signer;        // kid "test-key", the one the public keys know
    auth::VerificationKeys keys;    // test-key only
    auth::SigningKey stranger;      // kid "test-key" too, but another key: forges
    std::string public_keys_dir;    // holds test-key.pem: JWT_PUBLIC_KEYS_DIR
    std::string private_key_file;   // the signer's PEM: JWT_PRIVATE_KEY_FILE
};

const TestSessionKeys& SessionKeys();

// Settings as a service's main builds them: the test keys, `clock`, `ttl`; a signer when
// `signing` (auth, or a fixture that issues tokens itself); `revoked` may be null.
auth::SessionSettings TestSessionSettings(const util::Clock& clock,
                                          std::chrono::seconds ttl = std::chrono::hours(24),
                                          const auth::RevocationList* revoked = nullptr);

// The Cookie header of a signed-in `user_id` (email <user_id>@test.com), signed by `session`'s
// signer (TestSessionSettings has one).
Headers SessionCookie(const std::string& user_id, const auth::SessionSettings& session);

// The variables a spawned service needs to check sessions (JWT_PUBLIC_KEYS_DIR) and, for auth,
// to sign them (JWT_PRIVATE_KEY_FILE, JWT_KEY_ID).
EnvVars SessionKeyEnv(bool signing = false);
// `env` followed by SessionKeyEnv(signing).
EnvVars WithSessionKeys(EnvVars env, bool signing = false);

}  // namespace ticketing::test

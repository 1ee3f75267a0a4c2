// How the auth service is put together on a ServiceBuilder: its database and bus (auth listens
// to nothing; it publishes session:revoked through its outbox), the signing key, the password
// hasher, the throttles and the routes. main() and the integration fixtures both call it, so what
// the tests run is what the binary runs.
// Thread-safety: call once, from the thread that builds.
#pragma once

#include <cstddef>
#include <string>

#include "common/auth/jwt.hpp"
#include "common/service/service_builder.hpp"

#include "domain/auth_service.hpp"
#include "domain/password_hasher.hpp"
#include "storage/user_repository.hpp"

namespace ticketing::auth_service {

struct Settings {
    // A token bucket: so many attempts a second on average, bursts of `burst`.
    struct Rate {
        double per_second;
        double burst;
    };
    std::size_t hash_concurrency = 4;  // PASSWORD_HASH_CONCURRENCY
    std::size_t hash_queue = 32;       // PASSWORD_HASH_QUEUE
    Argon2PasswordHasher::Limits hash_limits = Argon2PasswordHasher::Interactive();
    Rate per_address{10, 20};          // AUTH_RATE_PER_ADDRESS a second, bursts of twice that
    Rate per_account{10.0 / 60, 10};   // AUTH_RATE_PER_ACCOUNT sign-ins a minute, bursts as many
};

// What Assemble made, for a test to look at.
struct Parts {
    AuthService& service;
    UserRepository& users;
};

// Opens the database, connects the bus, checks that the signing key is one the public keys
// know (throws std::runtime_error otherwise), makes the service's parts (owned by `b`) and
// registers the routes.
// `signing_key`: JWT_PRIVATE_KEY_FILE and JWT_KEY_ID.
Parts Assemble(service::ServiceBuilder& b, auth::SigningKey signing_key, const Settings& settings);

}  // namespace ticketing::auth_service

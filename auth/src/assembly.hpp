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

namespace ticketing::auth_service {

struct Settings {
    auth::SigningKey signing_key;          // JWT_PRIVATE_KEY_FILE, JWT_KEY_ID
    std::size_t hash_concurrency = 4;      // PASSWORD_HASH_CONCURRENCY
    std::size_t hash_queue = 32;           // PASSWORD_HASH_QUEUE
    double per_address_per_second = 10;    // AUTH_RATE_PER_ADDRESS
    double per_account_per_minute = 10;    // AUTH_RATE_PER_ACCOUNT
};

// Opens the database, connects the bus, checks that the signing key is one the public keys
// know (throws std::runtime_error otherwise), makes the service's parts (owned by `b`) and
// registers the routes. Returns the domain service.
AuthService& Assemble(service::ServiceBuilder& b, Settings settings);

}  // namespace ticketing::auth_service

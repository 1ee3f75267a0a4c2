// User: what the auth service stores about an account. Pure data.
// Thread-safety: a plain value.
#pragma once

#include <string>

#include "common/util/clock.hpp"

namespace ticketing::auth_service {

struct User {
    std::string id;
    std::string email;          // trimmed and lower-cased
    std::string password_hash;  // Argon2id, libsodium's encoded string
    util::TimePoint created_at;
};

}  // namespace ticketing::auth_service

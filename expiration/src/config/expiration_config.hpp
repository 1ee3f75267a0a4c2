// The expiration service's configuration (DESIGN.md section 10): the common variables, with
// REDIS_URL parsed into the queue's endpoint.
// Thread-safety: plain values; FromEnv from main only.
#pragma once

#include "common/config/env.hpp"

#include "storage/redis_endpoint.hpp"

namespace ticketing::expiration {

struct ExpirationConfig {
    config::CommonConfig common;
    RedisEndpoint redis;

    // Records problems in `env` without throwing; the caller calls env.Finish().
    // The service checks no sessions, so it holds no key at all (DESIGN.md section 13).
    static ExpirationConfig FromEnv(config::EnvReader& env);
};

}  // namespace ticketing::expiration

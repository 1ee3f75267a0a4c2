#include "config/expiration_config.hpp"

namespace ticketing::expiration {

ExpirationConfig ExpirationConfig::FromEnv(config::EnvReader& env) {
    ExpirationConfig config;
    config.common = config::CommonConfig::FromEnv(env, "expiration");
    if (auto endpoint = ParseRedisUrl(config.common.redis_url)) {
        config.redis = *endpoint;
    } else {
        env.AddProblem("REDIS_URL must be redis://host:port[/db]");
    }
    return config;
}

}  // namespace ticketing::expiration

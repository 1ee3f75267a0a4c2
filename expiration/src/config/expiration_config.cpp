#include "config/expiration_config.hpp"

namespace ticketing::expiration {

ExpirationConfig ExpirationConfig::FromEnv(config::EnvReader& env,
                                           config::CommonConfig::Sessions sessions) {
    ExpirationConfig config;
    config.common = config::CommonConfig::FromEnv(env, "expiration", sessions);
    if (auto endpoint = ParseRedisUrl(config.common.redis_url)) {
        config.redis = *endpoint;
    } else {
        env.AddProblem("REDIS_URL must be redis://host:port[/db]");
    }
    return config;
}

}  // namespace ticketing::expiration

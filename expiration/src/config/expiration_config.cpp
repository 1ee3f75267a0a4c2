#include "config/expiration_config.hpp"

namespace ticketing::expiration {

ExpirationConfig ExpirationConfig::FromEnv(config::EnvReader& env) {
    ExpirationConfig config;
    config.common =
        config::CommonConfig::FromEnv(env, "expiration", config::CommonConfig::Sessions::kNone);
    if (auto endpoint = ParseRedisUrl(config.common.redis_url)) {
        config.redis = *endpoint;
    } else {
        env.AddProblem("REDIS_URL must be redis://[user:password@]host:port[/db]");
    }
    return config;
}

}  // namespace ticketing::expiration

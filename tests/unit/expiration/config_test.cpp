// REDIS_URL parsing, the eviction-policy check and the service's configuration.
#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "config/expiration_config.hpp"
#include "storage/redis_endpoint.hpp"

namespace ticketing::expiration {
namespace {

TEST(ParseRedisUrl, ReadsHostPortAndDb) {
    EXPECT_EQ(ParseRedisUrl("redis://redis.internal:6380/2"),
              (RedisEndpoint{"redis.internal", 6380, 2, "", ""}));
}

TEST(ParseRedisUrl, DefaultsToPort6379AndDb0) {
    EXPECT_EQ(ParseRedisUrl("redis://127.0.0.1"), (RedisEndpoint{"127.0.0.1", 6379, 0, "", ""}));
    EXPECT_EQ(ParseRedisUrl("redis://localhost/"), (RedisEndpoint{"localhost", 6379, 0, "", ""}));
    EXPECT_EQ(ParseRedisUrl("redis://localhost:7000"), (RedisEndpoint{"localhost", 7000, 0, "", ""}));
}

TEST(ParseRedisUrl, AcceptsABracketedIpv6Host) {
    EXPECT_EQ(ParseRedisUrl("redis://[::1]:6390/1"), (RedisEndpoint{"::1", 6390, 1, "", ""}));
    EXPECT_EQ(ParseRedisUrl("redis://[::1]"), (RedisEndpoint{"::1", 6379, 0, "", ""}));
}

TEST(ParseRedisUrl, RejectsAnythingElse) {
    for (const char* url : {"",
                            "127.0.0.1:6379",
                            "http://localhost:6379",
                            "rediss://localhost",
                            "redis://",
                            "redis://:6379",
                            "redis://localhost:",
                            "redis://localhost:0",
                            "redis://localhost:65536",
                            "redis://localhost:63a9",
                            "redis://localhost:-1",
                            "redis://localhost/x",
                            "redis://localhost/-1",
                            "redis://localhost/1/2",
                            "redis://user@localhost:6379",
                            "redis://user:@localhost:6379",
                            "redis://[::1",
                            "redis://[::1]6379"}) {
        EXPECT_FALSE(ParseRedisUrl(url).has_value()) << url;
    }
}

TEST(ParseRedisUrl, ReadsAnAclUserAndPassword) {
    EXPECT_EQ(ParseRedisUrl("redis://expiration:s3cr3t@redis:6379/1"),
              (RedisEndpoint{"redis", 6379, 1, "expiration", "s3cr3t"}));
    EXPECT_EQ(ParseRedisUrl("redis://:s3cr3t@127.0.0.1"),
              (RedisEndpoint{"127.0.0.1", 6379, 0, "", "s3cr3t"}));
}

TEST(Describe, NamesHostPortAndDb) {
    EXPECT_EQ(Describe({"localhost", 6379, 3, "", ""}), "localhost:6379/3");
    EXPECT_EQ(Describe({"redis", 6379, 0, "expiration", "s3cr3t"}), "expiration@redis:6379/0");
    EXPECT_EQ(Describe({"::1", 6379, 0, "", ""}), "[::1]:6379/0");
}

TEST(IsEvictingPolicy, OnlyNoevictionKeepsJobsSafe) {
    EXPECT_FALSE(IsEvictingPolicy("noeviction"));
    for (const char* policy : {"allkeys-lru",
                               "allkeys-lfu",
                               "allkeys-random",
                               "volatile-lru",
                               "volatile-lfu",
                               "volatile-random",
                               "volatile-ttl"}) {
        EXPECT_TRUE(IsEvictingPolicy(policy)) << policy;
    }
}

config::EnvReader Env(std::map<std::string, std::string> vars) {
    return config::EnvReader([vars = std::move(vars)](const std::string& name) {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
}

TEST(ExpirationConfig, ReadsTheRedisEndpointFromRedisUrl) {
    auto env = Env({{"REDIS_URL", "redis://cache:6390/4"}});
    auto config = ExpirationConfig::FromEnv(env);
    EXPECT_NO_THROW(env.Finish());
    EXPECT_EQ(config.redis, (RedisEndpoint{"cache", 6390, 4, "", ""}));
    EXPECT_EQ(config.common.service, "expiration");
}

TEST(ExpirationConfig, DefaultsToTheLocalRedis) {
    auto env = Env({});
    auto config = ExpirationConfig::FromEnv(env);
    EXPECT_NO_THROW(env.Finish());
    EXPECT_EQ(config.redis, (RedisEndpoint{"127.0.0.1", 6379, 0, "", ""}));
}

TEST(ExpirationConfig, ReportsAMalformedRedisUrlWithTheOtherProblems) {
    auto env = Env({{"REDIS_URL", "localhost:6379"}, {"HTTP_PORT", "0"}});
    ExpirationConfig::FromEnv(env);
    try {
        env.Finish();
        FAIL() << "Finish accepted a malformed REDIS_URL";
    } catch (const config::ConfigError& e) {
        const auto& problems = e.problems();
        EXPECT_NE(
            std::find(problems.begin(),
                      problems.end(),
                      "REDIS_URL must be redis://[user:password@]host:port[/db]"),
            problems.end());
        // No session key is asked of expiration (it checks no session).
        EXPECT_EQ(problems.size(), 2u);
    }
}

}  // namespace
}  // namespace ticketing::expiration

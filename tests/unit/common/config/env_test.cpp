#include "common/config/env.hpp"

#include <limits>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace ticketing::config {
namespace {

constexpr const char* kKeysDir = "/etc/ticketing/jwt-public-keys";

EnvReader ReaderOf(std::map<std::string, std::string> vars) {
    return EnvReader(
        [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
            const auto it = vars.find(name);
            if (it == vars.end()) {
                return std::nullopt;
            }
            return it->second;
        });
}

// What Finish() throws, or "" when it does not.
std::string FinishMessage(const EnvReader& env) {
    try {
        env.Finish();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return {};
}

TEST(EnvReader, RequiredReturnsTheValue) {
    EnvReader env = ReaderOf({{"JWT_KEY", "abc"}});

    EXPECT_EQ(env.Required("JWT_KEY"), "abc");
    EXPECT_NO_THROW(env.Finish());
}

TEST(EnvReader, RequiredTreatsEmptyAsMissing) {
    EnvReader env = ReaderOf({{"JWT_KEY", ""}});

    EXPECT_EQ(env.Required("JWT_KEY"), "");
    EXPECT_EQ(env.problems(), std::vector<std::string>{"JWT_KEY must be defined"});
}

TEST(EnvReader, FinishReportsAllMissingVariablesAtOnce) {
    EnvReader env = ReaderOf({});
    env.Required("JWT_KEY");
    env.Required("STRIPE_KEY");

    try {
        env.Finish();
        FAIL() << "Finish did not throw";
    } catch (const ConfigError& e) {
        EXPECT_EQ(
            e.problems(),
            (std::vector<std::string>{"JWT_KEY must be defined", "STRIPE_KEY must be defined"}));
        EXPECT_NE(std::string(e.what()).find("JWT_KEY must be defined\nSTRIPE_KEY must be defined"),
                  std::string::npos);
    }
}

TEST(EnvReader, OptionalFallsBackToDefaultWhenUnsetOrEmpty) {
    EnvReader env = ReaderOf({{"A", "value"}, {"B", ""}});

    EXPECT_EQ(env.Optional("A", "default"), "value");
    EXPECT_EQ(env.Optional("B", "default"), "default");
    EXPECT_EQ(env.Optional("C", "default"), "default");
    EXPECT_TRUE(env.problems().empty());
}

TEST(EnvReader, IntParsesWithinRange) {
    EnvReader env = ReaderOf({{"HTTP_PORT", "8080"}});

    EXPECT_EQ(env.Int("HTTP_PORT", 3000, 1, 65535), 8080);
    EXPECT_EQ(env.Int("UNSET", 3000, 1, 65535), 3000);
    EXPECT_TRUE(env.problems().empty());
}

TEST(EnvReader, IntRejectsNonIntegersAndOutOfRange) {
    for (const char* value :
         {"abc", "80x", " 80", "80 ", "+80", "8.0", "0", "65536", "-1", "99999999999999999999"}) {
        EnvReader env = ReaderOf({{"HTTP_PORT", value}});

        EXPECT_EQ(env.Int("HTTP_PORT", 3000, 1, 65535), 3000) << value;
        EXPECT_EQ(env.problems(),
                  std::vector<std::string>{"HTTP_PORT must be an integer between 1 and 65535"})
            << value;
    }
}

TEST(EnvReader, IntWithoutUpperBoundSaysAtLeast) {
    EnvReader env = ReaderOf({{"N", "0"}});

    env.Int("N", 1, 1, std::numeric_limits<std::int64_t>::max());

    EXPECT_EQ(env.problems(), std::vector<std::string>{"N must be an integer of at least 1"});
}

TEST(EnvReader, OneOfListsTheAllowedValues) {
    EnvReader env = ReaderOf({{"LOG_LEVEL", "verbose"}});

    EXPECT_EQ(env.OneOf("LOG_LEVEL", "info", {"debug", "info"}), "info");
    EXPECT_EQ(env.problems(), std::vector<std::string>{"LOG_LEVEL must be one of debug, info"});
}

TEST(EnvReader, FinishDoesNotThrowWithoutProblems) {
    const EnvReader env = ReaderOf({});

    EXPECT_EQ(FinishMessage(env), "");
}

TEST(CommonConfig, FromEnvAppliesDefaults) {
    EnvReader env = ReaderOf({{"JWT_PUBLIC_KEYS_DIR", kKeysDir}});

    const CommonConfig config = CommonConfig::FromEnv(env, "tickets");

    EXPECT_NO_THROW(env.Finish());
    EXPECT_EQ(config.service, "tickets");
    EXPECT_EQ(config.jwt_public_keys_dir, kKeysDir);
    EXPECT_EQ(config.http_address, "0.0.0.0");
    EXPECT_EQ(config.nats_user, "");
    EXPECT_EQ(config.nats_url, "nats://127.0.0.1:4222");
    EXPECT_EQ(config.database_url, "sqlite://./.data/tickets.db");
    EXPECT_EQ(config.redis_url, "redis://127.0.0.1:6379");
    EXPECT_EQ(config.http_port, 3000);
    EXPECT_EQ(config.log_level, "info");
    EXPECT_EQ(config.session_ttl, std::chrono::seconds(86400));
    EXPECT_EQ(config.nats_retry_horizon, std::chrono::seconds(3600));
    EXPECT_EQ(config.http_workers, 16);
    EXPECT_EQ(config.http_io_threads, 2);
    EXPECT_EQ(config.http_inline_reads, "auto");
    EXPECT_EQ(config.nats_stream_replicas, 1);
}

TEST(CommonConfig, FromEnvReadsEveryVariable) {
    EnvReader env = ReaderOf({{"JWT_PUBLIC_KEYS_DIR", kKeysDir},
                              {"NATS_URL", "nats://bus:4222"},
                              {"NATS_USER", "orders"},
                              {"NATS_PASSWORD", "pw"},
                              {"HTTP_ADDRESS", "127.0.0.1"},
                              {"DATABASE_URL", "postgresql://db/orders"},
                              {"REDIS_URL", "redis://cache:6379"},
                              {"HTTP_PORT", "4000"},
                              {"LOG_LEVEL", "debug"},
                              {"SESSION_TTL_SECONDS", "60"},
                              {"NATS_RETRY_HORIZON_SECONDS", "5"},
                              {"HTTP_WORKERS", "4"},
                              {"HTTP_IO_THREADS", "3"},
                              {"HTTP_INLINE_READS", "off"},
                              {"NATS_STREAM_REPLICAS", "3"}});

    const CommonConfig config = CommonConfig::FromEnv(env, "orders");

    EXPECT_NO_THROW(env.Finish());
    EXPECT_EQ(config.nats_url, "nats://bus:4222");
    EXPECT_EQ(config.nats_user, "orders");
    EXPECT_EQ(config.nats_password, "pw");
    EXPECT_EQ(config.http_address, "127.0.0.1");
    EXPECT_EQ(config.database_url, "postgresql://db/orders");
    EXPECT_EQ(config.redis_url, "redis://cache:6379");
    EXPECT_EQ(config.http_port, 4000);
    EXPECT_EQ(config.log_level, "debug");
    EXPECT_EQ(config.session_ttl, std::chrono::seconds(60));
    EXPECT_EQ(config.nats_retry_horizon, std::chrono::seconds(5));
    EXPECT_EQ(config.http_workers, 4);
    EXPECT_EQ(config.http_io_threads, 3);
    EXPECT_EQ(config.http_inline_reads, "off");
    EXPECT_EQ(config.nats_stream_replicas, 3);
}

TEST(CommonConfig, FromEnvPutsDefaultDatabaseInDataDir) {
    EnvReader env =
        ReaderOf({{"JWT_PUBLIC_KEYS_DIR", kKeysDir}, {"TICKETING_DATA_DIR", "/var/lib/ticketing/"}});

    const CommonConfig config = CommonConfig::FromEnv(env, "auth");

    EXPECT_EQ(config.database_url, "sqlite:///var/lib/ticketing/auth.db");
}

TEST(CommonConfig, FromEnvReportsEveryProblemAtOnce) {
    EnvReader env = ReaderOf({{"HTTP_PORT", "http"},
                              {"LOG_LEVEL", "loud"},
                              {"SESSION_TTL_SECONDS", "0"},
                              {"NATS_RETRY_HORIZON_SECONDS", "0"},
                              {"HTTP_WORKERS", "2000"},
                              {"HTTP_INLINE_READS", "yes"},
                              {"NATS_STREAM_REPLICAS", "7"}});

    CommonConfig::FromEnv(env, "auth");

    EXPECT_EQ(env.problems(),
              (std::vector<std::string>{
                  "JWT_PUBLIC_KEYS_DIR must be defined",
                  "HTTP_PORT must be an integer between 1 and 65535",
                  "LOG_LEVEL must be one of trace, debug, info, warn, error",
                  "SESSION_TTL_SECONDS must be an integer between 1 and 31536000",
                  "NATS_RETRY_HORIZON_SECONDS must be an integer between 1 and 2592000",
                  "HTTP_WORKERS must be an integer between 1 and 1024",
                  "HTTP_INLINE_READS must be one of auto, on, off",
                  "NATS_STREAM_REPLICAS must be an integer between 1 and 5",
              }));
}

TEST(CommonConfig, FromEnvWantsANatsPasswordWithTheUser) {
    EnvReader env = ReaderOf({{"JWT_PUBLIC_KEYS_DIR", kKeysDir}, {"NATS_USER", "tickets"}});

    CommonConfig::FromEnv(env, "tickets");

    EXPECT_EQ(env.problems(),
              std::vector<std::string>{"NATS_PASSWORD must be defined when NATS_USER is"});
}

TEST(CommonConfig, ExpirationNeedsNoSessionKeys) {
    EnvReader env = ReaderOf({});

    CommonConfig::FromEnv(env, "expiration", CommonConfig::Sessions::kNone);

    EXPECT_TRUE(env.problems().empty());
}

TEST(MaskCredentials, HidesPasswordsAndTokensInEveryUrl) {
    EXPECT_EQ(MaskCredentials("nats://tickets:s3cr3t@nats:4222"), "nats://tickets:***@nats:4222");
    EXPECT_EQ(MaskCredentials("nats://a:p1@n1:4222, nats://a:p2@n2:4222,nats://n3:4222"),
              "nats://a:***@n1:4222, nats://a:***@n2:4222,nats://n3:4222");
    EXPECT_EQ(MaskCredentials("nats://s3cr3ttoken@nats:4222"), "nats://***@nats:4222");
    EXPECT_EQ(MaskCredentials("redis://expiration:p@ss@redis:6379/0"),
              "redis://expiration:***@redis:6379/0");
    EXPECT_EQ(MaskCredentials("postgresql://u:pw@db/orders?sslmode=require"),
              "postgresql://u:***@db/orders?sslmode=require");
    EXPECT_EQ(MaskCredentials("sqlite:///var/lib/t/a@b.db"), "sqlite:///var/lib/t/a@b.db");
    EXPECT_EQ(MaskCredentials("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
}

TEST(CommonConfig, FromEnvNeverPrintsValues) {
    EnvReader env = ReaderOf(
        {{"JWT_PUBLIC_KEYS_DIR", kKeysDir}, {"HTTP_PORT", "s3cr3t-port"}, {"LOG_LEVEL", "s3cr3t-level"}});

    CommonConfig::FromEnv(env, "auth");
    const std::string message = FinishMessage(env);

    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::config

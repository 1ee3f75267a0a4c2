// The ticketing-expiration executable as it ships: configuration from the environment,
// /healthz, /readyz and /metrics, an order:created in and expiration:complete out, and a clean
// stop on SIGTERM.
#include <csignal>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/stream_reader.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;

class ExpirationBinaryTest : public ::testing::Test {
protected:
    test::EnvVars Env() {
        return {{"NATS_URL", nats_.Url()},
                {"REDIS_URL", redis_.Url()},
                {"HTTP_PORT", std::to_string(http_port_)},
                {"LOG_LEVEL", "info"}};
    }

    std::unique_ptr<test::ChildProcess> Start(test::EnvVars env,
                                              std::vector<std::string> args = {}) {
        test::ChildProcess::Options o;
        o.argv = {TICKETING_EXPIRATION_BIN};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = std::move(env);
        return std::make_unique<test::ChildProcess>(o);
    }

    void PublishOrderCreated(const std::string& id, util::TimePoint expires_at) {
        bus::ConnectionOptions o;
        o.url = nats_.Url();
        auto connection = bus::NatsConnection::Connect(o);
        metrics::Registry registry;
        bus::NatsPublisher publisher(*connection, registry);
        events::OrderCreated order{
            id, 0, events::OrderStatus::kCreated, "u1", expires_at, {"t1", 2000}};
        ASSERT_TRUE(publisher.Publish(
            bus::MakeEnvelope(order, bus::NewEventId(), {"", std::chrono::system_clock::now()})));
    }

    test::NatsServer nats_;
    test::RedisServer redis_;
    std::uint16_t http_port_ = test::FreePort();
    test::HttpClient http_{"http://127.0.0.1:" + std::to_string(http_port_)};
};

TEST_F(ExpirationBinaryTest, ServesProbesAndExpiresOrders) {
    auto service = Start(Env());
    ASSERT_TRUE(test::WaitUntil([&] { return http_.Get("/readyz").status == 200; }, 20s))
        << service->ReadLog();
    EXPECT_EQ(http_.Get("/healthz").status, 200);

    PublishOrderCreated("64a1f0c2e4b0a1b2c3d4e5f6", std::chrono::system_clock::now());
    std::vector<test::StoredMessage> stored;
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            stored = test::ReadStream(nats_.Url(), "TICKETING");
            return stored.size() == 2;
        },
        10s))
        << service->ReadLog();
    EXPECT_EQ(stored[1].subject, "expiration:complete");
    EXPECT_EQ(stored[1].payload, R"({"orderId":"64a1f0c2e4b0a1b2c3d4e5f6"})");
    EXPECT_EQ(stored[1].headers.at("Nats-Msg-Id"), "expiration-64a1f0c2e4b0a1b2c3d4e5f6");

    // The fired counter moves once JetStream acknowledged the publish, just after the stream
    // has the event: wait for it rather than read it at once.
    test::HttpResult metrics;
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            metrics = http_.Get("/metrics");
            return metrics.body.find("expiration_jobs_fired_total 1") != std::string::npos;
        },
        10s));
    EXPECT_EQ(metrics.status, 200);
    for (const char* name : {"expiration_queue_depth",
                             "expiration_active_jobs",
                             "expiration_lateness_seconds_bucket",
                             "expiration_retries_total",
                             "expiration_jobs_fired_total 1"}) {
        EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
    }
    EXPECT_EQ(http_.Get("/api/anything").status, 404);

    EXPECT_EQ(service->Stop(SIGTERM, 20s), 0);
}

TEST_F(ExpirationBinaryTest, ReadinessFailsWhileRedisIsDown) {
    auto service = Start(Env());
    ASSERT_TRUE(test::WaitUntil([&] { return http_.Get("/readyz").status == 200; }, 20s))
        << service->ReadLog();
    redis_.Kill();
    test::HttpResult result;
    ASSERT_TRUE(
        test::WaitUntil([&] { return (result = http_.Get("/readyz")).status == 503; }, 10s));
    EXPECT_NE(result.body.find("redis"), std::string::npos) << result.body;
    redis_.Start();
    EXPECT_TRUE(test::WaitUntil([&] { return http_.Get("/readyz").status == 200; }, 20s));
}

TEST_F(ExpirationBinaryTest, MalformedRedisUrlStopsTheServiceListingTheProblems) {
    auto env = Env();
    for (auto& [name, value] : env) {
        if (name == "REDIS_URL") {
            value = "localhost:6379";
        } else if (name == "HTTP_PORT") {
            value = "0x";
        }
    }
    auto service = Start(env);
    EXPECT_EQ(service->Wait(20s), 1);
    auto log = service->ReadLog();
    EXPECT_NE(log.find("REDIS_URL must be redis://[user:password@]host:port[/db]"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("HTTP_PORT must be"), std::string::npos) << log;
    // expiration checks no session and holds no key (DESIGN.md section 13)
    EXPECT_EQ(log.find("JWT_"), std::string::npos) << log;
}

TEST_F(ExpirationBinaryTest, UnknownCommandPrintsUsage) {
    auto service = Start(Env(), {"bogus"});
    EXPECT_EQ(service->Wait(20s), 2);
    EXPECT_NE(service->ReadLog().find("usage: ticketing-expiration"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::expiration

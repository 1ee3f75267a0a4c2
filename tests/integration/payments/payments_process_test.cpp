// ticketing-payments as a process: it needs NATS, serves, becomes ready and stops cleanly on
// SIGTERM; configured with PAYMENT_GATEWAY=stripe it pays through Stripe's API (a
// FakeStripeServer) without writing the key or the card token to its log.
#include <csignal>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/testing/fake_stripe_server.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/session_keys.hpp"
#include "common/testing/stream_reader.hpp"
#include "common/util/ids.hpp"

#include "storage/migrations.hpp"
#include "storage/sql_order_replica_repository.hpp"

namespace ticketing::payments {
namespace {

using namespace std::chrono_literals;


bool Ready(const std::string& base) {
    return test::HttpClient(base).Get("/readyz").status == 200;
}

TEST(PaymentsProcess, BecomesReadyServesAndStopsCleanly) {
    test::NatsServer nats;
    test::TempDir dir;
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_PAYMENTS_BIN},
                         test::WithSessionKeys({{"HTTP_PORT", std::to_string(port)},
                          {"NATS_URL", nats.Url()},
                          {"PAYMENT_GATEWAY", "sandbox"},
                          {"DATABASE_URL", "sqlite://" + (dir.Path() / "payments.db").string()},
                          {"LOG_LEVEL", "warn"}}));
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(test::WaitUntil([&] { return Ready(base); }, 30s)) << p.ReadLog();
    EXPECT_EQ(test::HttpClient(base).Post("/api/payments", "{}").status, 401);
    p.Kill(SIGTERM);
    EXPECT_EQ(p.Wait(30s), 0) << p.ReadLog();
}

TEST(PaymentsProcess, PaysThroughTheStripeGatewayWithoutLoggingSecrets) {
    test::NatsServer nats;
    test::FakeStripeServer stripe;
    test::TempDir dir;
    const std::string db_url = "sqlite://" + (dir.Path() / "payments.db").string();
    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    const std::string buyer = "6a1b2c3d4e5f6a7b8c9d0e01", order = ids.NewId();
    {
        // The replica as order:created would leave it. Seeded directly rather than published:
        // a bus::NatsConnection destroyed in this process can still run a callback on freed
        // memory (see the payments report), which would make this test flaky.
        auto db = db::Database::Open(db_url);
        db::RunMigrations(*db, bus::WithBusMigrations(false, Migrations()));
        db->Transaction([&](soci::session& tx) {
            SqlOrderReplicaRepository(tx).Insert(
                {order, buyer, 4250, events::OrderStatus::kCreated, 0});
        });
    }
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_PAYMENTS_BIN},
                         test::WithSessionKeys({{"HTTP_PORT", std::to_string(port)},
                          {"NATS_URL", nats.Url()},
                          {"DATABASE_URL", db_url},
                          {"PAYMENT_GATEWAY", "stripe"},
                          {"STRIPE_KEY", stripe.ApiKey()},
                          {"STRIPE_API_BASE", stripe.BaseUrl()},
                          {"LOG_LEVEL", "debug"}}));
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(test::WaitUntil([&] { return Ready(base); }, 30s)) << p.ReadLog();

    const auto session = test::TestSessionSettings(clock, 3600s);
    test::Headers cookie{
        {"Cookie",
         "session=" + auth::SessionCookieValue(auth::IssueToken(buyer, "b@test.com", session))}};
    const std::string body = nlohmann::json{{"token", "tok_visa"}, {"orderId", order}}.dump();
    auto paid = test::HttpClient(base).Post("/api/payments", body, cookie);
    ASSERT_EQ(paid.status, 201) << paid.body;
    auto calls = stripe.Calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].form.at("amount"), "4250");
    EXPECT_EQ(calls[0].authorization, "Bearer " + stripe.ApiKey());
    EXPECT_TRUE(calls[0].idempotency_key.starts_with("pay-" + order + "-"));
    EXPECT_TRUE(paid.Json()["stripeId"].get<std::string>().starts_with("ch_")) << paid.body;
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            for (const auto& m : test::ReadStream(nats.Url(), "TICKETING")) {
                if (m.subject == "payment:created") {
                    return true;
                }
            }
            return false;
        },
        10s));

    p.Kill(SIGTERM);
    EXPECT_EQ(p.Wait(30s), 0) << p.ReadLog();
    const std::string log = p.ReadLog();
    EXPECT_FALSE(log.empty());  // a debug-level log was written, and it holds neither secret
    EXPECT_EQ(log.find(stripe.ApiKey()), std::string::npos);
    EXPECT_EQ(log.find("tok_visa"), std::string::npos);
}

// A deployment that forgets PAYMENT_GATEWAY must not start and silently take no money.
TEST(PaymentsProcess, AMissingGatewayIsAConfigurationError) {
    test::ChildProcess p({TICKETING_PAYMENTS_BIN}, test::WithSessionKeys({}));
    EXPECT_EQ(p.Wait(10s), 1);
    EXPECT_NE(p.ReadLog().find("PAYMENT_GATEWAY must be defined"), std::string::npos)
        << p.ReadLog();
}

TEST(PaymentsProcess, StripeGatewayWithoutAKeyIsAConfigurationError) {
    test::ChildProcess p({TICKETING_PAYMENTS_BIN},
                         test::WithSessionKeys({{"PAYMENT_GATEWAY", "stripe"}}));
    EXPECT_EQ(p.Wait(10s), 1);
    EXPECT_NE(p.ReadLog().find("STRIPE_KEY must be defined"), std::string::npos) << p.ReadLog();
}

}  // namespace
}  // namespace ticketing::payments

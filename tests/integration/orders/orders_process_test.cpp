// ticketing-orders as a process: it needs NATS, provisions the streams, serves, becomes ready,
// and stops cleanly on SIGTERM.
#include <gtest/gtest.h>

#include <csignal>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/session_keys.hpp"
#include "common/testing/servers.hpp"

namespace ticketing::orders {
namespace {

using namespace std::chrono_literals;

TEST(OrdersProcess, BecomesReadyServesAndStopsCleanly) {
    test::NatsServer nats;
    test::TempDir dir;
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_ORDERS_BIN},
                         test::WithSessionKeys({{"HTTP_PORT", std::to_string(port)},
                          {"NATS_URL", nats.Url()},
                          {"DATABASE_URL", "sqlite://" + (dir.Path() / "orders.db").string()},
                          {"LOG_LEVEL", "warn"}}));
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(test::WaitUntil([&] { return test::HttpClient(base).Get("/readyz").status == 200; }, 30s))
        << p.ReadLog();
    EXPECT_EQ(test::HttpClient(base).Get("/api/orders").status, 401);
    p.Kill(SIGTERM);
    EXPECT_EQ(p.Wait(30s), 0) << p.ReadLog();
}

TEST(OrdersProcess, InvalidWindowIsAConfigurationError) {
    test::ChildProcess p({TICKETING_ORDERS_BIN},
                         test::WithSessionKeys({{"EXPIRATION_WINDOW_SECONDS", "0"}}));
    EXPECT_EQ(p.Wait(10s), 1);
    EXPECT_NE(p.ReadLog().find("EXPIRATION_WINDOW_SECONDS"), std::string::npos) << p.ReadLog();
}

}  // namespace
}  // namespace ticketing::orders

// Graceful shutdown of a whole process: SIGTERM (or SIGINT) while a request is in flight lets the
// request finish, then the process exits 0.
#include <csignal>
#include <future>

#include <gtest/gtest.h>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

namespace ticketing::http {
namespace {

using namespace std::chrono_literals;

class ShutdownTest : public ::testing::TestWithParam<int> {};

TEST_P(ShutdownTest, SignalLetsInFlightRequestFinishThenExitsZero) {
    auto port = test::FreePort();
    test::ChildProcess hello({TICKETING_HELLO_BIN, "--port", std::to_string(port)},
                             {{"LOG_LEVEL", "warn"}});
    ASSERT_TRUE(test::WaitForTcp(port, 10s)) << hello.ReadLog();
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    auto slow =
        std::async(std::launch::async, [&] { return test::HttpClient(base).Get("/slow?ms=1500"); });
    // The slow request is in flight once the server counts two (it and this metrics request).
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto m = test::HttpClient(base).Get("/metrics");
            return m.body.find("http_requests_in_flight 2") != std::string::npos;
        },
        10s));
    hello.Kill(GetParam());
    auto r = slow.get();
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.Json()["slept"], 1500);
    EXPECT_EQ(hello.Wait(10s), 0) << hello.ReadLog();
}

INSTANTIATE_TEST_SUITE_P(Signals, ShutdownTest, ::testing::Values(SIGTERM, SIGINT));

}  // namespace
}  // namespace ticketing::http

// ticketing-auth as a process: configuration errors, readiness, one sign-up with the production
// Argon2id limits, graceful stop, and `replay` refusing.
#include <csignal>

#include <gtest/gtest.h>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

namespace ticketing::auth_service {
namespace {

using namespace std::chrono_literals;

TEST(AuthProcess, MissingVariablesAreAllReportedAndStopTheService) {
    test::TempDir dir;
    test::ChildProcess p({TICKETING_AUTH_BIN}, {{"JWT_KEY", ""}, {"HTTP_PORT", "0x"}});
    EXPECT_EQ(p.Wait(10s), 1);
    auto log = p.ReadLog();
    EXPECT_NE(log.find("JWT_KEY must be defined"), std::string::npos) << log;
    EXPECT_NE(log.find("HTTP_PORT"), std::string::npos) << log;
}

TEST(AuthProcess, ServesSignsUpAndStopsCleanly) {
    test::TempDir dir;
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_AUTH_BIN},
                         {{"JWT_KEY", "a-process-test-key-that-is-32-bytes"},
                          {"HTTP_PORT", std::to_string(port)},
                          {"DATABASE_URL", "sqlite://" + (dir.Path() / "auth.db").string()},
                          {"LOG_LEVEL", "warn"}});
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(
        test::WaitUntil([&] { return test::HttpClient(base).Get("/readyz").status == 200; }, 20s))
        << p.ReadLog();
    test::HttpClient client(base);
    auto r = client.Post("/api/users/signup", R"({"email":"p@test.com","password":"password"})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(
        client.Post("/api/users/signin", R"({"email":"p@test.com","password":"password"})").status,
        200);
    p.Kill(SIGTERM);
    EXPECT_EQ(p.Wait(20s), 0) << p.ReadLog();
    EXPECT_EQ(p.ReadLog().find("password\""), std::string::npos);  // no secrets in the log
}

TEST(AuthProcess, ReplayExplainsThatUsersAreNotInTheLog) {
    test::ChildProcess p({TICKETING_AUTH_BIN, "replay"});
    EXPECT_EQ(p.Wait(10s), 1);
    EXPECT_NE(p.ReadLog().find("user records are not in the event log"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::auth_service

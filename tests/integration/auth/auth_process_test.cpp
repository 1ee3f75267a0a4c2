// ticketing-auth as a process: configuration errors, readiness, one sign-up with the production
// Argon2id limits, graceful stop, and `replay` refusing.
#include <csignal>

#include <gtest/gtest.h>

#include <fstream>

#include "common/auth/jwt.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/session_keys.hpp"

namespace ticketing::auth_service {
namespace {

using namespace std::chrono_literals;

TEST(AuthProcess, MissingVariablesAreAllReportedAndStopTheService) {
    test::TempDir dir;
    test::ChildProcess p({TICKETING_AUTH_BIN}, {{"HTTP_PORT", "0x"}});
    EXPECT_EQ(p.Wait(10s), 1);
    auto log = p.ReadLog();
    EXPECT_NE(log.find("JWT_PUBLIC_KEYS_DIR must be defined"), std::string::npos) << log;
    EXPECT_NE(log.find("JWT_PRIVATE_KEY_FILE must be defined"), std::string::npos) << log;
    EXPECT_NE(log.find("HTTP_PORT"), std::string::npos) << log;
}

TEST(AuthProcess, ASigningKeyWithoutItsPublicKeyStopsTheService) {
    test::NatsServer nats;
    test::TempDir dir;
    const auto other = auth::GenerateKeyPair();
    {
        std::ofstream(dir.Path() / "other.pem") << other.private_pem;
    }
    test::ChildProcess p({TICKETING_AUTH_BIN},
                         {{"JWT_PUBLIC_KEYS_DIR", test::SessionKeys().public_keys_dir},
                          {"JWT_PRIVATE_KEY_FILE", (dir.Path() / "other.pem").string()},
                          {"NATS_URL", nats.Url()},
                          {"HTTP_PORT", std::to_string(test::FreePort())},
                          {"DATABASE_URL", "sqlite://" + (dir.Path() / "auth.db").string()}});
    EXPECT_EQ(p.Wait(20s), 1);
    EXPECT_NE(p.ReadLog().find("(kid other) has no matching public key"), std::string::npos)
        << p.ReadLog();
    EXPECT_EQ(p.ReadLog().find("PRIVATE KEY"), std::string::npos);  // never the key itself
}

TEST(AuthProcess, ServesSignsUpAndStopsCleanly) {
    test::NatsServer nats;
    test::TempDir dir;
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_AUTH_BIN},
                         test::WithSessionKeys(
                             {{"HTTP_PORT", std::to_string(port)},
                              {"NATS_URL", nats.Url()},
                              {"DATABASE_URL", "sqlite://" + (dir.Path() / "auth.db").string()},
                              {"LOG_LEVEL", "warn"}},
                             /*signing=*/true));
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

// ticketing-tickets as a process: it needs NATS, provisions the streams, serves, becomes ready,
// publishes through its outbox relay, and stops cleanly on SIGTERM.
#include <csignal>

#include <gtest/gtest.h>

#include "common/auth/session.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/session_keys.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/stream_reader.hpp"

namespace ticketing::tickets {
namespace {

using namespace std::chrono_literals;

TEST(TicketsProcess, BecomesReadyServesPublishesAndStopsCleanly) {
    test::NatsServer nats;
    test::TempDir dir;
    auto port = test::FreePort();
    test::ChildProcess p({TICKETING_TICKETS_BIN},
                         test::WithSessionKeys({{"HTTP_PORT", std::to_string(port)},
                          {"NATS_URL", nats.Url()},
                          {"DATABASE_URL", "sqlite://" + (dir.Path() / "tickets.db").string()},
                          {"LOG_LEVEL", "warn"}}));
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(
        test::WaitUntil([&] { return test::HttpClient(base).Get("/readyz").status == 200; }, 30s))
        << p.ReadLog();
    test::HttpClient client(base);
    EXPECT_EQ(client.Post("/api/tickets", R"({"title":"Concert","price":20})").status, 401);

    util::SystemClock clock;
    const auto session = test::TestSessionSettings(clock, std::chrono::seconds(3600));
    std::string cookie = "session=" + auth::SessionCookieValue(auth::IssueToken(
                                          "6a1b2c3d4e5f6a7b8c9d0e01", "p@test.com", session));
    auto r = client.Post("/api/tickets", R"({"title":"Concert","price":20})", {{"Cookie", cookie}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            auto stream = test::ReadStream(nats.Url(), "TICKETING");
            return stream.size() == 1 && stream[0].subject == "ticket:created";
        },
        10s));
    EXPECT_EQ(client.Get("/api/tickets").Json().size(), 1u);

    p.Kill(SIGTERM);
    EXPECT_EQ(p.Wait(30s), 0) << p.ReadLog();
}

TEST(TicketsProcess, MissingPublicKeysStopTheService) {
    test::ChildProcess p({TICKETING_TICKETS_BIN}, {});
    EXPECT_EQ(p.Wait(10s), 1);
    EXPECT_NE(p.ReadLog().find("JWT_PUBLIC_KEYS_DIR must be defined"), std::string::npos)
        << p.ReadLog();
}

TEST(TicketsProcess, UnknownCommandIsAUsageError) {
    test::ChildProcess p({TICKETING_TICKETS_BIN, "bogus"});
    EXPECT_EQ(p.Wait(10s), 2);
    EXPECT_NE(p.ReadLog().find("usage: ticketing-tickets"), std::string::npos) << p.ReadLog();
}

}  // namespace
}  // namespace ticketing::tickets

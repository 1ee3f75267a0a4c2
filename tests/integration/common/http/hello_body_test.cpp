// ticketing-hello --body-file, the floor row of scripts/bench-ingress.sh: GET /api/tickets/:id
// answers the file's content byte for byte as JSON, each request is logged at info like a
// service's (buffered, written out by exit), and a file it cannot read stops it with status 2
// before it listens.
#include <csignal>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

namespace ticketing::http {
namespace {

using namespace std::chrono_literals;

TEST(HelloBodyFileTest, AnswersTheFileForAnyTicketAndLogsEachRequest) {
    test::TempDir dir;
    const auto body_path = dir.Path() / "ticket.json";
    const std::string body = R"({"id":"abc","price":20.5,"title":"Front row","version":3})";
    std::ofstream(body_path) << body;
    auto port = test::FreePort();
    test::ChildProcess hello(
        {TICKETING_HELLO_BIN, "--port", std::to_string(port), "--body-file", body_path.string()},
        {{"LOG_LEVEL", "info"}});
    ASSERT_TRUE(test::WaitForTcp(port, 10s)) << hello.ReadLog();
    test::HttpClient client("http://127.0.0.1:" + std::to_string(port));
    for (const char* id : {"/api/tickets/abc", "/api/tickets/6b0fd7c596ebadf724e789c6"}) {
        auto r = client.Get(id);
        EXPECT_EQ(r.status, 200) << id << ": " << r.error;
        EXPECT_EQ(r.body, body) << id;
    }
    // Only that route answers the file: another path is the server's own 404.
    EXPECT_EQ(client.Get("/api/orders/abc").status, 404);
    EXPECT_EQ(hello.Stop(SIGTERM, 10s), 0) << hello.ReadLog();
    const auto log = hello.ReadLog();
    EXPECT_NE(log.find(R"("route":"/api/tickets/:id")"), std::string::npos) << log;
    EXPECT_NE(log.find(R"("status":200)"), std::string::npos) << log;
}

TEST(HelloBodyFileTest, AFileItCannotReadStopsItBeforeItListens) {
    test::TempDir dir;
    test::ChildProcess missing({TICKETING_HELLO_BIN, "--port", std::to_string(test::FreePort()),
                                "--body-file", (dir.Path() / "absent.json").string()});
    EXPECT_EQ(missing.Wait(10s), 2) << missing.ReadLog();
    EXPECT_NE(missing.ReadLog().find("cannot read"), std::string::npos) << missing.ReadLog();

    const auto empty = dir.Path() / "empty.json";
    std::ofstream{empty};
    test::ChildProcess blank(
        {TICKETING_HELLO_BIN, "--port", std::to_string(test::FreePort()), "--body-file", empty.string()});
    EXPECT_EQ(blank.Wait(10s), 2) << blank.ReadLog();
}

}  // namespace
}  // namespace ticketing::http

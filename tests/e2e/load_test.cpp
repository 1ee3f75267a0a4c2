// End to end (issue 11): the load tool's scenarios, short runs, against one stack of two
// replicas per service on PostgreSQL and a 3-node NATS cluster, with a 4 s reservation window,
// through the ingress. Each scenario's verdict must pass; the binary itself is run once for its
// exit status and --json.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "common/testing/process.hpp"

#include "scenarios.hpp"
#include "stack_environment.hpp"

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

// Also the run command's NATS cluster: three JetStream nodes, stream replicas 3.
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(
    new StackEnvironment(StackOptions{.replicas = 2,
                                      .postgres = true,
                                      .nats_cluster = true,
                                      .expiration_window_seconds = 4,
                                      .auth_rate = 1000}));

class LoadTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(StackEnvironment::Stack(), nullptr) << "the stack did not start";
        options_.base_url = StackEnvironment::Stack()->IngressUrl();
        options_.concurrency = 10;
        options_.progress = load::Progress::Mode::kLines;
    }

    // Prints the report (the table is worth reading in the test's log) and returns it.
    static load::ScenarioReport Show(load::ScenarioReport report) {
        std::cout << load::FormatReport(report) << std::flush;
        return report;
    }

    load::LoadOptions options_;
};

TEST_F(LoadTest, OccEveryTicketEndsAt15Version2InTicketsAndOrders) {
    options_.chains = 20;
    auto report = Show(load::RunOcc(options_));
    EXPECT_TRUE(report.verdict.pass) << report.verdict.summary;
    EXPECT_EQ(report.verdict.counts["total"], 20);
}

TEST_F(LoadTest, RaceExactlyOneBuyerGetsEachTicket) {
    options_.buyers = 10;
    options_.tickets = 5;
    auto report = Show(load::RunRace(options_));
    EXPECT_TRUE(report.verdict.pass) << report.verdict.summary;
    EXPECT_EQ(report.verdict.counts["created"], 5);
    EXPECT_EQ(report.verdict.counts["already_reserved"], 45);
}

TEST_F(LoadTest, PurchaseEveryPaidOrderCompletesWithItsTicketReserved) {
    options_.users = 10;
    auto report = Show(load::RunPurchase(options_));
    EXPECT_TRUE(report.verdict.pass) << report.verdict.summary;
    EXPECT_EQ(report.verdict.counts["total"], 10);
}

TEST_F(LoadTest, ExpireUnpaidOrdersAreCancelledAndTheirTicketsListedAgain) {
    options_.orders = 5;
    auto report = Show(load::RunExpire(options_));
    EXPECT_TRUE(report.verdict.pass) << report.verdict.summary;
    // The stack's 4 s window, bounded by what the clients saw: expiresAt minus the answer's
    // arrival is at most the window, expiresAt minus the request's sending at least the window.
    EXPECT_LE(report.verdict.counts["max_window_ms"].get<double>(), 4000);
    EXPECT_GE(report.verdict.counts["min_window_from_request_ms"].get<double>(), 4000);
}

TEST_F(LoadTest, TheBinaryExitsZeroOnPassAndWritesItsJson) {
    TempDir dir("ticketing-load-");
    auto json_file = dir.Path() / "race.json";
    ChildProcess::Options o;
    o.argv = {TICKETING_LOAD_BIN,
              "--base-url",
              StackEnvironment::Stack()->IngressUrl(),
              "--concurrency",
              "4",
              "--json",
              json_file.string(),
              "race",
              "--buyers",
              "4",
              "--tickets",
              "2"};
    o.log_file = dir.Path() / "tool.log";
    ChildProcess tool(o);
    auto code = tool.Wait(120s);
    std::string log = tool.ReadLog();
    ASSERT_EQ(code, 0) << log;
    EXPECT_NE(log.find("race: 2/2 tickets with exactly one order, 0 5xx: PASS"), std::string::npos)
        << log;
    std::ifstream in(json_file);
    auto report = nlohmann::json::parse(in);
    EXPECT_EQ(report["scenario"], "race");
    EXPECT_EQ(report["pass"], true);
    EXPECT_FALSE(report["requests"].empty());
}

TEST_F(LoadTest, TheBinaryExitsTwoOnBadUsage) {
    TempDir dir("ticketing-load-");
    ChildProcess::Options o;
    o.argv = {TICKETING_LOAD_BIN, "occ", "--chains", "many"};
    o.log_file = dir.Path() / "tool.log";
    ChildProcess tool(o);
    EXPECT_EQ(tool.Wait(30s), 2) << tool.ReadLog();
}

}  // namespace
}  // namespace ticketing::test

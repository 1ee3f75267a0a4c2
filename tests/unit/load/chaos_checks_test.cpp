// The fault suite's pure judgements: fault windows, the contract's error format, and the
// gateway ledger built from the fake Stripe server's call log.
#include "chaos_checks.hpp"

#include <gtest/gtest.h>

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;
using Call = test::FakeStripeServer::Call;

Call Charge(const std::string& order,
            const std::string& attempt,
            const std::string& id,
            int status = 200) {
    return {
        "/v1/charges", "", "pay-" + order + "-" + attempt, {}, status, R"({"id":")" + id + R"("})"};
}

Call Release(const std::string& charge) {
    return {"/v1/refunds", "", "release-x", {{"charge", charge}}, 200, R"({"id":"re_1"})"};
}

Call Capture(const std::string& charge, int status = 200) {
    return {"/v1/charges/" + charge + "/capture", "", "capture-x", {}, status, "{}"};
}

const std::string kOrder = "6b0c65cc5823b289fa94024b";
const std::string kOther = "6b0c65cc5823b289fa94024c";

TEST(FaultLog, CoversItsWindowsWithASecondBeforeAndTheGraceAfter) {
    FaultLog log;
    auto t0 = FaultLog::Clock::now();
    log.Add("kill", t0, t0 + 5s);
    EXPECT_TRUE(log.Covers(t0 - 500ms, 0s));
    EXPECT_TRUE(log.Covers(t0 + 3s, 0s));
    EXPECT_TRUE(log.Covers(t0 + 14s, 10s));
    EXPECT_FALSE(log.Covers(t0 + 16s, 10s));
    EXPECT_FALSE(log.Covers(t0 - 2s, 10s));
    EXPECT_EQ(log.Counts().at("kill"), 1);
}

TEST(ContractError, AcceptsOnlyTheErrorsArrayWithAMessage) {
    test::HttpResult ok{503, R"({"errors":[{"message":"Service unavailable"}]})", {}, ""};
    test::HttpResult html{503, "<html>503</html>", {}, ""};
    test::HttpResult empty{503, R"({"errors":[]})", {}, ""};
    EXPECT_TRUE(ContractError(ok));
    EXPECT_FALSE(ContractError(html));
    EXPECT_FALSE(ContractError(empty));
}

TEST(GatewayLedger, ReplayedKeysCountOnceCapturesTakeAndReleasesCloseTheHold) {
    GatewayLedger ledger({Charge(kOrder, "a1", "ch_1"),
                          Charge(kOrder, "a1", "ch_1"),  // the same key replayed
                          Charge(kOther, "a2", "ch_2"),
                          Capture("ch_1"),
                          Capture("ch_1"),          // again: one capture
                          Capture("ch_2", 400),     // refused: nothing taken
                          Release("ch_2")});
    EXPECT_EQ(ledger.charge_count, 2u);
    EXPECT_EQ(ledger.capture_count, 1u);
    EXPECT_EQ(ledger.release_count, 1u);
    EXPECT_EQ(ledger.Captured(kOrder), 1);
    EXPECT_EQ(ledger.Held(kOrder), 0);
    EXPECT_EQ(ledger.Captured(kOther), 0);
    EXPECT_EQ(ledger.Held(kOther), 0);
    EXPECT_EQ(ledger.Captured("no-such-order"), 0);
}

TEST(GatewayLedger, TwoAttemptsThatBothAuthorisedAreTwoHolds) {
    GatewayLedger ledger({Charge(kOrder, "a1", "ch_1"), Charge(kOrder, "a2", "ch_2")});
    EXPECT_EQ(ledger.Held(kOrder), 2);
    EXPECT_EQ(ledger.Captured(kOrder), 0);
}

TEST(GatewayLedger, DeclinedAndFailedCallsHoldNothing) {
    GatewayLedger ledger({Charge(kOrder, "a1", "ch_1", 402), Charge(kOrder, "a2", "ch_2", 500)});
    EXPECT_EQ(ledger.Held(kOrder), 0);
    EXPECT_EQ(ledger.charge_count, 0u);
}
}  // namespace
}  // namespace ticketing::load

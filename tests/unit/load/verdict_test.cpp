// The verdicts of the load tool's scenarios, judged on recorded results.
#include "verdict.hpp"

#include <gtest/gtest.h>

namespace ticketing::load {
namespace {

OccChain ConsistentChain(const std::string& id) {
    OccChain c;
    c.ticket_id = id;
    c.signup_status = 201;
    c.create_status = 201;
    c.update10_status = 200;
    c.update15_status = 200;
    c.tickets_price = 15;
    c.tickets_version = 2;
    c.order_status = 201;
    c.order_price = 15;
    c.order_version = 2;
    c.expected_order_version = 2;
    return c;
}

TEST(JudgeOcc, PassesWhenEveryTicketIsAt15Version2Everywhere) {
    auto v = JudgeOcc({ConsistentChain("a"), ConsistentChain("b")}, {});
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.summary, "occ: 2/2 tickets consistent, 0 5xx: PASS");
    EXPECT_TRUE(v.problems.empty());
}

TEST(JudgeOcc, FailsWhenTheReplicaNeverCaughtUp) {
    auto stale = ConsistentChain("b");
    stale.order_price = 10;
    stale.order_version = 1;
    auto v = JudgeOcc({ConsistentChain("a"), stale}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_EQ(v.summary, "occ: 1/2 tickets consistent, 0 5xx: FAIL");
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_NE(v.problems[0].find("ticket b"), std::string::npos);
    EXPECT_NE(v.problems[0].find("price 10 version 1"), std::string::npos);
}

TEST(JudgeOcc, PassesWhenTheReplicaCaughtUpAfterACancelledOrder) {
    auto late = ConsistentChain("a");
    late.replica_lags = 1;
    late.order_version = 4;  // ordered again after the cancel: tickets was at version 4
    late.expected_order_version = 4;
    auto v = JudgeOcc({late}, {});
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.counts["replica_lags"], 1);
}

TEST(JudgeOcc, FailsWhenTicketsDidNotKeepTheLastUpdate) {
    auto lost = ConsistentChain("a");
    lost.tickets_price = 10;
    lost.tickets_version = 1;
    EXPECT_FALSE(JudgeOcc({lost}, {}).pass);
}

TEST(JudgeOcc, FailsWhenTheUnawaitedUpdateWasRefused) {
    auto refused = ConsistentChain("a");
    refused.update15_status = 409;
    auto v = JudgeOcc({refused}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("update to 15 answered 409"), std::string::npos);
}

TEST(JudgeOcc, SaysWhenARequestGotNoAnswer) {
    OccChain c;
    auto v = JudgeOcc({c}, {.no_answer = 1});
    EXPECT_FALSE(v.pass);
    EXPECT_EQ(v.problems[0], "chain 0: sign-up got no answer");
}

TEST(JudgeOcc, FailsOnAny5xx) {
    auto v = JudgeOcc({ConsistentChain("a")}, {.server_errors = 1});
    EXPECT_FALSE(v.pass);
    EXPECT_EQ(v.summary, "occ: 1/1 tickets consistent, 1 5xx: FAIL");
}

TEST(JudgeOcc, FailsOnRequestsWithoutAnswer) {
    auto v = JudgeOcc({ConsistentChain("a")}, {.no_answer = 2});
    EXPECT_FALSE(v.pass);
    EXPECT_EQ(v.summary, "occ: 1/1 tickets consistent, 0 5xx, 2 without answer: FAIL");
}

TEST(JudgeOcc, FailsWhenNothingRan) {
    EXPECT_FALSE(JudgeOcc({}, {}).pass);
}

RaceTicket Race(int wins, int reserved) {
    RaceTicket t;
    t.ticket_id = "t";
    t.create_status = 201;
    for (int i = 0; i < wins; ++i) {
        t.answers.push_back({201, R"({"id":"o"})"});
    }
    for (int i = 0; i < reserved; ++i) {
        t.answers.push_back({400, kReservedBody});
    }
    return t;
}

TEST(JudgeRace, PassesWithOneWinnerAndTheRestAlreadyReserved) {
    auto v = JudgeRace({Race(1, 99), Race(1, 99)}, {});
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.summary, "race: 2/2 tickets with exactly one order, 0 5xx: PASS");
    EXPECT_EQ(v.counts["created"], 2);
    EXPECT_EQ(v.counts["already_reserved"], 198);
}

TEST(JudgeRace, FailsWithTwoWinners) {
    auto v = JudgeRace({Race(1, 9), Race(2, 8)}, {});
    EXPECT_FALSE(v.pass);
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_NE(v.problems[0].find("2 orders created"), std::string::npos);
}

TEST(JudgeRace, FailsWithNoWinner) {
    EXPECT_FALSE(JudgeRace({Race(0, 10)}, {}).pass);
}

TEST(JudgeRace, FailsOnA5xxAnswer) {
    auto t = Race(1, 8);
    t.answers.push_back({500, R"({"errors":[{"message":"Something went wrong"}]})"});
    auto v = JudgeRace({t}, {.server_errors = 1});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("1 other answers (first: 500"), std::string::npos);
}

TEST(JudgeRace, FailsOnA400WithAnotherMessage) {
    auto t = Race(1, 8);
    t.answers.push_back({400, R"({"errors":[{"message":"Something else"}]})"});
    EXPECT_FALSE(JudgeRace({t}, {}).pass);
}

TEST(JudgeRace, FailsOnA404ThatNeverWentAway) {
    auto t = Race(1, 8);
    t.answers.push_back({404, R"({"errors":[{"message":"Not found"}]})"});
    EXPECT_FALSE(JudgeRace({t}, {}).pass);
}

PurchaseFlow Purchased(const std::string& order_id) {
    PurchaseFlow f;
    f.signup_status = 201;
    f.create_status = 201;
    f.list_status = 200;
    f.order_status = 201;
    f.payment_status = 201;
    f.ticket_id = "t" + order_id;
    f.order_id = order_id;
    f.final_order_status = "complete";
    f.ticket_order_id = order_id;
    return f;
}

TEST(JudgePurchase, PassesWhenEveryOrderCompletesWithItsTicketReserved) {
    auto v = JudgePurchase({Purchased("a"), Purchased("b")}, {});
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.summary, "purchase: 2/2 orders complete with their ticket reserved, 0 5xx: PASS");
}

TEST(JudgePurchase, FailsWhenAnOrderStaysCreated) {
    auto stuck = Purchased("b");
    stuck.final_order_status = "created";
    auto v = JudgePurchase({Purchased("a"), stuck}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("\"created\""), std::string::npos);
}

TEST(JudgePurchase, FailsWhenTheTicketIsNotReservedByTheOrder) {
    auto freed = Purchased("a");
    freed.ticket_order_id = "";
    EXPECT_FALSE(JudgePurchase({freed}, {}).pass);
}

TEST(JudgePurchase, FailsWhenThePaymentIsRefused) {
    auto refused = Purchased("a");
    refused.payment_status = 400;
    refused.payment_body = R"({"errors":[{"message":"Cannot pay for a cancelled order"}]})";
    auto v = JudgePurchase({refused}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("Cannot pay for a cancelled order"), std::string::npos);
}

TEST(JudgePurchase, FailsOnA5xx) {
    EXPECT_FALSE(JudgePurchase({Purchased("a")}, {.server_errors = 3}).pass);
}

ExpireOrder Expired(double cancelled_ms, double listed_ms) {
    ExpireOrder o;
    o.order_id = "o";
    o.ticket_id = "t";
    o.create_status = 201;
    o.order_status = 201;
    o.window_ms = 4000;
    o.cancelled_after_ms = cancelled_ms;
    o.listed_after_ms = listed_ms;
    return o;
}

TEST(JudgeExpire, PassesWithinTheWindowAndTwoSeconds) {
    auto v = JudgeExpire({Expired(4100, 4300), Expired(5900, 6000)}, {});
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.summary,
              "expire: 2/2 orders cancelled and tickets listed again within window + 2 s, 0 5xx: "
              "PASS");
    EXPECT_DOUBLE_EQ(v.counts["max_listed_after_window_ms"].get<double>(), 2000);
}

TEST(JudgeExpire, ReportsTheBoundsOfTheWindowTheClientsSaw) {
    auto first = Expired(4100, 4300);
    first.window_ms = 3990;
    first.window_from_request_ms = 4020;
    auto second = Expired(4100, 4300);
    second.window_ms = 3980;
    second.window_from_request_ms = 4010;
    auto v = JudgeExpire({first, second}, {});
    EXPECT_DOUBLE_EQ(v.counts["max_window_ms"].get<double>(), 3990);
    EXPECT_DOUBLE_EQ(v.counts["min_window_from_request_ms"].get<double>(), 4010);
}

TEST(JudgeExpire, FailsWhenTheCancelIsLate) {
    auto v = JudgeExpire({Expired(6100, 6200)}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("not cancelled within 6000 ms"), std::string::npos);
}

TEST(JudgeExpire, FailsWhenTheTicketIsNeverListedAgain) {
    auto o = Expired(4100, 0);
    o.listed_after_ms.reset();
    auto v = JudgeExpire({o}, {});
    EXPECT_FALSE(v.pass);
    EXPECT_NE(v.problems[0].find("not listed again"), std::string::npos);
}

TEST(JudgeExpire, FailsWhenNeverCancelled) {
    auto o = Expired(0, 0);
    o.cancelled_after_ms.reset();
    o.listed_after_ms.reset();
    EXPECT_FALSE(JudgeExpire({o}, {}).pass);
}

TEST(JudgeExpire, FailsOnA5xx) {
    EXPECT_FALSE(JudgeExpire({Expired(4100, 4200)}, {.server_errors = 1}).pass);
}

}  // namespace
}  // namespace ticketing::load

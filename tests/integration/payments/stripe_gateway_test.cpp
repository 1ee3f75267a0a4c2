// StripeGateway against FakeStripeServer (a Stripe-shaped HTTP server on loopback): the form,
// the bearer key and the idempotency key it sends, how Stripe's answers map to the port's
// errors, and its retries and timeouts.
#include "gateway/stripe_gateway.hpp"

#include <gtest/gtest.h>

#include "common/log/log.hpp"
#include "common/testing/fake_stripe_server.hpp"
#include "common/testing/process.hpp"

namespace ticketing::payments {
namespace {

using namespace std::chrono_literals;
using Kind = GatewayError::Kind;

class StripeGatewayTest : public ::testing::Test {
protected:
    void SetUp() override { log::Init("stripe-test", log::Level::kError); }

    StripeOptions Options() {
        StripeOptions o;
        o.api_base = stripe_.BaseUrl();
        o.api_key = stripe_.ApiKey();
        o.connect_timeout = 1s;
        o.total_timeout = 400ms;
        o.max_attempts = 3;
        o.initial_backoff = 10ms;
        o.max_backoff = 40ms;
        return o;
    }

    template <class F>
    GatewayError ErrorOf(F&& call) {
        try {
            call();
        } catch (const GatewayError& e) {
            return e;
        }
        ADD_FAILURE() << "no GatewayError";
        return GatewayError(Kind::kInvalid, "none");
    }

    test::FakeStripeServer stripe_;
};

TEST_F(StripeGatewayTest, AuthorizeSendsTheFormTheBearerKeyAndTheIdempotencyKey) {
    StripeGateway gateway(Options());
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    EXPECT_TRUE(charge.starts_with("ch_")) << charge;
    auto calls = stripe_.Calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].path, "/v1/charges");
    EXPECT_EQ(calls[0].authorization, "Bearer " + stripe_.ApiKey());
    EXPECT_EQ(calls[0].idempotency_key, "pay-o1-a1");
    EXPECT_EQ(calls[0].form,
              (std::map<std::string, std::string>{
                  {"amount", "2000"},
                  {"currency", "usd"},
                  {"source", "tok_visa"},
                  {"capture", "false"}}));  // a hold, not a charge
    EXPECT_EQ(calls[0].status, 200);
    EXPECT_EQ(stripe_.CapturesMade(), 0u);
}

TEST_F(StripeGatewayTest, TheSameIdempotencyKeyReturnsTheSameCharge) {
    StripeGateway gateway(Options());
    auto first = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    EXPECT_EQ(gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id, first);
    EXPECT_EQ(stripe_.ChargesCreated(), 1u);
}

TEST_F(StripeGatewayTest, DeclinedCardIsDeclinedWithStripesMessage) {
    StripeGateway gateway(Options());
    auto e = ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_chargeDeclined", "k"); });
    EXPECT_EQ(e.kind(), Kind::kDeclined);
    EXPECT_STREQ(e.what(), "Your card was declined.");
    EXPECT_EQ(stripe_.CallCount("/v1/charges"), 1u);  // a decline is an answer: not retried
}

TEST_F(StripeGatewayTest, UnknownTokenIsInvalidToken) {
    StripeGateway gateway(Options());
    auto e = ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_unknown", "k"); });
    EXPECT_EQ(e.kind(), Kind::kInvalid);
    EXPECT_STREQ(e.what(), "Invalid token");
}

TEST_F(StripeGatewayTest, AWrongKeyIsUnavailableAndNotRetried) {
    auto o = Options();
    o.api_key = "sk_test_wrong";
    StripeGateway gateway(o);
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_visa", "k"); }).kind(),
              Kind::kUnavailable);
    EXPECT_EQ(stripe_.CallCount("/v1/charges"), 1u);
}

TEST_F(StripeGatewayTest, ServerErrorsAreRetriedWithTheSameKey) {
    StripeGateway gateway(Options());
    stripe_.FailNext(2);
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    EXPECT_TRUE(charge.starts_with("ch_"));
    auto calls = stripe_.Calls();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].status, 500);
    EXPECT_EQ(calls[1].status, 500);
    EXPECT_EQ(calls[2].status, 200);
    for (const auto& c : calls) {
        EXPECT_EQ(c.idempotency_key, "pay-o1-a1");
    }
    EXPECT_EQ(stripe_.ChargesCreated(), 1u);
}

TEST_F(StripeGatewayTest, ServerErrorsBeyondTheAttemptsAreUnavailable) {
    StripeGateway gateway(Options());
    stripe_.FailNext(5);
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_visa", "k"); }).kind(),
              Kind::kUnavailable);
    EXPECT_EQ(stripe_.CallCount("/v1/charges"), 3u);
    EXPECT_EQ(stripe_.ChargesCreated(), 0u);
}

TEST_F(StripeGatewayTest, AHangingAnswerTimesOutAndTheRetryGetsTheCharge) {
    StripeGateway gateway(Options());
    stripe_.HangNext(1);
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    EXPECT_TRUE(charge.starts_with("ch_"));
    auto calls = stripe_.Calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].status, 0);  // still held when the client gave up on it
    EXPECT_EQ(calls[1].idempotency_key, calls[0].idempotency_key);
    stripe_.ReleaseHung();
    // The held request is processed late, as Stripe would: its key replays the same charge.
    ASSERT_TRUE(test::WaitUntil([&] { return stripe_.Calls()[0].status == 200; }, 5s));
    EXPECT_EQ(stripe_.ChargesCreated(), 1u);
}

TEST_F(StripeGatewayTest, AServerThatNeverAnswersIsUnavailableWithinTheTimeouts) {
    StripeGateway gateway(Options());
    stripe_.HangNext(3);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_visa", "k"); }).kind(),
              Kind::kUnavailable);
    // 3 tries of 400 ms plus at most 10 + 20 ms of backoff; generous for a busy machine.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(stripe_.CallCount("/v1/charges"), 3u);
}

TEST_F(StripeGatewayTest, ARefusedConnectionIsRetriedThenUnavailable) {
    auto o = Options();
    o.api_base = "http://127.0.0.1:" + std::to_string(test::FreePort());
    StripeGateway gateway(o);
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_visa", "k"); }).kind(),
              Kind::kUnavailable);
}

TEST_F(StripeGatewayTest, ReleaseRefundsTheHoldOnceAndThenItCannotBeCaptured) {
    StripeGateway gateway(Options());
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    auto refund = gateway.Release(charge, "release-p1").refund_id;
    EXPECT_TRUE(refund.starts_with("re_")) << refund;
    EXPECT_EQ(gateway.Release(charge, "release-p1").refund_id, refund);  // replayed answer
    EXPECT_EQ(gateway.Release(charge, "release-other").refund_id, "");  // already released
    auto calls = stripe_.Calls();
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[1].path, "/v1/refunds");
    EXPECT_EQ(calls[1].form, (std::map<std::string, std::string>{{"charge", charge}}));
    EXPECT_EQ(calls[1].idempotency_key, "release-p1");
    EXPECT_EQ(stripe_.RefundsCreated(), 1u);
    auto capture = ErrorOf([&] { gateway.Capture(charge, "capture-p1"); });
    EXPECT_EQ(capture.kind(), Kind::kInvalid);
    EXPECT_EQ(stripe_.CapturesMade(), 0u);
}

TEST_F(StripeGatewayTest, CapturePostsToTheChargeAndAgainIsDone) {
    StripeGateway gateway(Options());
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-o1-a1").charge_id;
    gateway.Capture(charge, "capture-p1");
    gateway.Capture(charge, "capture-p1");     // the same key: Stripe's replayed answer
    gateway.Capture(charge, "capture-other");  // charge_already_captured: done
    auto calls = stripe_.Calls();
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[1].path, "/v1/charges/" + charge + "/capture");
    EXPECT_EQ(calls[1].idempotency_key, "capture-p1");
    EXPECT_EQ(calls[1].status, 200);
    EXPECT_EQ(calls[3].status, 400);
    EXPECT_EQ(stripe_.CapturesMade(), 1u);
    EXPECT_EQ(ErrorOf([&] { gateway.Capture("ch_../x", "capture-p2"); }).kind(), Kind::kInvalid);
    EXPECT_EQ(ErrorOf([&] { gateway.Capture("ch_unknown", "capture-p3"); }).kind(),
              Kind::kInvalid);
}

}  // namespace
}  // namespace ticketing::payments

// The payment gateways without a network or a thread: SandboxGateway's Stripe test-token
// behaviour (concurrent calls: tests/integration/payments/sandbox_gateway_test.cpp),
// StripeGateway's pure parts (form encoding, error mapping, backoff), MeteredGateway, and the
// gateway configuration.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "common/config/env.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/payments/fake_gateway.hpp"

#include "gateway/gateway_config.hpp"
#include "gateway/metered_gateway.hpp"
#include "gateway/sandbox_gateway.hpp"
#include "gateway/stripe_gateway.hpp"

namespace ticketing::payments {
namespace {

using Kind = GatewayError::Kind;
using test::FakeGateway;

// The error a call throws; fails the test when it does not throw one.
template <class F>
GatewayError ErrorOf(F&& call) {
    try {
        call();
    } catch (const GatewayError& e) {
        return e;
    }
    ADD_FAILURE() << "no GatewayError";
    return GatewayError(Kind::kUnavailable, "none");
}

// ---- SandboxGateway ----

TEST(SandboxGateway, AuthorisesStripesSuccessTokens) {
    SandboxGateway gateway;
    std::set<std::string> ids;
    int key = 0;
    for (const char* token : {"tok_visa",
                              "tok_visa_debit",
                              "tok_mastercard",
                              "tok_mastercard_debit",
                              "tok_amex",
                              "tok_discover"}) {
        auto id = gateway.Authorize(2000, "usd", token, "k" + std::to_string(++key)).charge_id;
        EXPECT_TRUE(id.starts_with("ch_")) << token << " " << id;
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 6u);
}

TEST(SandboxGateway, DeclinesTokChargeDeclinedWithStripesMessage) {
    SandboxGateway gateway;
    auto e = ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_chargeDeclined", "k"); });
    EXPECT_EQ(e.kind(), Kind::kDeclined);
    EXPECT_STREQ(e.what(), "Your card was declined.");
    auto funds =
        ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_chargeDeclinedInsufficientFunds", "k2"); });
    EXPECT_EQ(funds.kind(), Kind::kDeclined);
    EXPECT_STREQ(funds.what(), "Your card has insufficient funds.");
}

TEST(SandboxGateway, AnUnknownTokenIsInvalid) {
    SandboxGateway gateway;
    auto e = ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_nonsense", "k"); });
    EXPECT_EQ(e.kind(), Kind::kInvalid);
    EXPECT_STREQ(e.what(), "Invalid token");
}

TEST(SandboxGateway, TheSameKeyReturnsTheSameResult) {
    SandboxGateway gateway;
    auto first = gateway.Authorize(2000, "usd", "tok_visa", "pay-1").charge_id;
    EXPECT_EQ(gateway.Authorize(2000, "usd", "tok_visa", "pay-1").charge_id, first);
    EXPECT_NE(gateway.Authorize(2000, "usd", "tok_visa", "pay-2").charge_id, first);
    ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_chargeDeclined", "pay-3"); });
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_chargeDeclined", "pay-3"); }).kind(),
              Kind::kDeclined);
}

TEST(SandboxGateway, TheSameKeyWithOtherParametersIsInvalid) {
    SandboxGateway gateway;
    gateway.Authorize(2000, "usd", "tok_visa", "pay-1");
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2500, "usd", "tok_visa", "pay-1"); }).kind(),
              Kind::kInvalid);
    EXPECT_EQ(ErrorOf([&] { gateway.Authorize(2000, "usd", "tok_amex", "pay-1"); }).kind(),
              Kind::kInvalid);
}

TEST(SandboxGateway, ReleasesAHoldOnceAndThenRefusesToCaptureIt) {
    SandboxGateway gateway;
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-1").charge_id;
    auto refund = gateway.Release(charge, "release-1").refund_id;
    EXPECT_TRUE(refund.starts_with("re_")) << refund;
    EXPECT_EQ(gateway.Release(charge, "release-1").refund_id, refund);  // again: the same
    auto capture = ErrorOf([&] { gateway.Capture(charge, "capture-1"); });
    EXPECT_EQ(capture.kind(), Kind::kInvalid);
    EXPECT_NE(std::string(capture.what()).find("already been refunded"), std::string::npos);
    EXPECT_EQ(ErrorOf([&] { gateway.Release("pi_unknown", "release-3"); }).kind(),
              Kind::kInvalid);
}

TEST(SandboxGateway, CapturesAHoldAndThenRefusesToReleaseIt) {
    SandboxGateway gateway;
    auto charge = gateway.Authorize(2000, "usd", "tok_visa", "pay-1").charge_id;
    gateway.Capture(charge, "capture-1");
    gateway.Capture(charge, "capture-1");  // again: done already, succeeds
    auto release = ErrorOf([&] { gateway.Release(charge, "release-1"); });
    EXPECT_EQ(release.kind(), Kind::kInvalid);
    EXPECT_NE(std::string(release.what()).find("already been captured"), std::string::npos);
}

TEST(SandboxGateway, SettlesAHoldAnotherReplicaMade) {
    // Each replica's sandbox has its own memory: a hold made by one is captured by another.
    SandboxGateway one, other;
    auto charge = one.Authorize(2000, "usd", "tok_visa", "pay-1").charge_id;
    other.Capture(charge, "capture-1");
    EXPECT_EQ(ErrorOf([&] { other.Release(charge, "release-1"); }).kind(), Kind::kInvalid);
}

// ---- StripeGateway's pure parts ----

TEST(FormEncode, EscapesEverythingButUnreservedCharacters) {
    EXPECT_EQ(FormEncode({{"amount", "2000"}, {"source", "tok_visa"}}),
              "amount=2000&source=tok_visa");
    EXPECT_EQ(FormEncode({{"a b", "x&y=z/é"}}), "a%20b=x%26y%3Dz%2F%C3%A9");
}

TEST(StripeErrorFromResponse, CardErrorsAreDeclinedWithStripesMessage) {
    auto e = StripeErrorFromResponse(
        402,
        R"({"error":{"type":"card_error","code":"card_declined","message":"Your card was declined."}})");
    EXPECT_EQ(e.kind(), Kind::kDeclined);
    EXPECT_STREQ(e.what(), "Your card was declined.");
}

TEST(StripeErrorFromResponse, AnInvalidSourceIsInvalidTokenWithoutEchoingIt) {
    auto e = StripeErrorFromResponse(
        400,
        R"({"error":{"type":"invalid_request_error","param":"source","message":"No such token: 'tok_secret'"}})");
    EXPECT_EQ(e.kind(), Kind::kInvalid);
    EXPECT_STREQ(e.what(), "Invalid token");
}

TEST(StripeErrorFromResponse, OtherInvalidRequestsKeepStripesMessage) {
    auto e = StripeErrorFromResponse(
        400,
        R"({"error":{"type":"invalid_request_error","param":"amount","message":"Amount must be at least $0.50 usd"}})");
    EXPECT_EQ(e.kind(), Kind::kInvalid);
    EXPECT_STREQ(e.what(), "Amount must be at least $0.50 usd");
}

TEST(StripeErrorFromResponse, KeyLimitsConflictsAndGarbageAreUnavailable) {
    for (long status : {401L, 403L, 409L, 429L}) {
        EXPECT_EQ(
            StripeErrorFromResponse(
                status, R"({"error":{"type":"invalid_request_error","message":"Invalid API Key"}})")
                .kind(),
            Kind::kUnavailable)
            << status;
    }
    EXPECT_EQ(StripeErrorFromResponse(400, R"({"error":{"type":"idempotency_error"}})").kind(),
              Kind::kUnavailable);
    EXPECT_EQ(StripeErrorFromResponse(418, "not json").kind(), Kind::kUnavailable);
}

TEST(StripeBackoff, StaysWithinTheCappedExponentialWindow) {
    StripeOptions o;
    o.initial_backoff = std::chrono::milliseconds(100);
    o.max_backoff = std::chrono::milliseconds(350);
    std::map<int, long long> longest;
    for (int i = 0; i < 500; ++i) {
        for (int retry = 1; retry <= 4; ++retry) {
            long long d = StripeBackoff(o, retry).count();
            EXPECT_GE(d, 0);
            longest[retry] = std::max(longest[retry], d);
        }
    }
    EXPECT_LE(longest[1], 100);
    EXPECT_LE(longest[2], 200);
    EXPECT_LE(longest[3], 350);
    EXPECT_LE(longest[4], 350);
    EXPECT_GT(longest[3], 200);  // it does grow (500 draws: practically certain)
}

// ---- MeteredGateway ----

TEST(MeteredGateway, CountsCallsByOutcome) {
    FakeGateway inner;
    metrics::Registry registry;
    MeteredGateway gateway(inner, registry);
    gateway.Authorize(100, "usd", "tok_visa", "k1");
    EXPECT_THROW(gateway.Authorize(100, "usd", "tok_chargeDeclined", "k2"), GatewayError);
    gateway.Capture("ch_fake1", "c1");
    inner.FailNextRelease(Kind::kUnavailable);
    EXPECT_THROW(gateway.Release("ch_fake1", "r1"), GatewayError);
    auto& calls = registry.AddCounter("payments_gateway_calls_total", "");
    EXPECT_EQ(calls.With({{"call", "authorize"}, {"outcome", "ok"}}).Value(), 1);
    EXPECT_EQ(calls.With({{"call", "authorize"}, {"outcome", "declined"}}).Value(), 1);
    EXPECT_EQ(calls.With({{"call", "capture"}, {"outcome", "ok"}}).Value(), 1);
    EXPECT_EQ(calls.With({{"call", "release"}, {"outcome", "unavailable"}}).Value(), 1);
}

// ---- configuration ----

config::EnvReader Env(std::map<std::string, std::string> vars) {
    return config::EnvReader(
        [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) {
                return std::nullopt;
            }
            return it->second;
        });
}

TEST(GatewayConfig, TheGatewayMustBeNamed) {
    auto env = Env({});
    GatewayConfig::FromEnv(env);
    EXPECT_EQ(env.problems(), std::vector<std::string>{"PAYMENT_GATEWAY must be defined"});
}

TEST(GatewayConfig, TheSandboxWhenAskedFor) {
    auto env = Env({{"PAYMENT_GATEWAY", "sandbox"}});
    auto c = GatewayConfig::FromEnv(env);
    EXPECT_TRUE(env.problems().empty());
    EXPECT_EQ(c.kind, "sandbox");
    EXPECT_EQ(c.stripe_api_base, "https://api.stripe.com");
    EXPECT_NE(dynamic_cast<SandboxGateway*>(MakeGateway(c).get()), nullptr);
}

TEST(GatewayConfig, StripeNeedsAKey) {
    auto env = Env({{"PAYMENT_GATEWAY", "stripe"}});
    GatewayConfig::FromEnv(env);
    EXPECT_EQ(env.problems(), std::vector<std::string>{"STRIPE_KEY must be defined"});
}

TEST(GatewayConfig, StripeWithAKeyAndABase) {
    auto env = Env({{"PAYMENT_GATEWAY", "stripe"},
                    {"STRIPE_KEY", "sk_test_123"},
                    {"STRIPE_API_BASE", "http://127.0.0.1:9"}});
    auto c = GatewayConfig::FromEnv(env);
    EXPECT_TRUE(env.problems().empty());
    EXPECT_EQ(c.stripe_key, "sk_test_123");
    EXPECT_EQ(c.stripe_api_base, "http://127.0.0.1:9");
    EXPECT_NE(dynamic_cast<StripeGateway*>(MakeGateway(c).get()), nullptr);
}

TEST(GatewayConfig, RejectsAnUnknownGatewayAndABaseThatIsNotHttp) {
    auto env = Env({{"PAYMENT_GATEWAY", "paypal"}, {"STRIPE_API_BASE", "ftp://x"}});
    GatewayConfig::FromEnv(env);
    ASSERT_EQ(env.problems().size(), 2u);
    EXPECT_NE(env.problems()[0].find("PAYMENT_GATEWAY"), std::string::npos);
    EXPECT_NE(env.problems()[1].find("STRIPE_API_BASE"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::payments

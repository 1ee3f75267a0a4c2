#include "common/auth/jwt.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/testing/fake_clock.hpp"

#include "token_builder.hpp"

namespace ticketing::auth {
namespace {

using std::chrono::seconds;
using test::BuildToken;
using test::TokenSignature;

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherKey = "fedcba9876543210fedcba9876543210";
constexpr std::int64_t kNowSeconds = 1'795'341'600;  // FakeClock's start
constexpr const char* kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::string ValidPayload() {
    return nlohmann::json{{"id", "6b02bd200123456789abcdef"},
                          {"email", "a@b.co"},
                          {"iat", kNowSeconds},
                          {"exp", kNowSeconds + 3600}}
        .dump();
}

TEST(SignJwt, RoundTripsThroughVerifyJwt) {
    const test::FakeClock clock;

    const std::string token =
        SignJwt("6b02bd200123456789abcdef", "a@b.co", kKey, clock.Now(), seconds(86400));
    const auto user = VerifyJwt(token, kKey, clock.Now());

    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(
        *user,
        (UserPayload{"6b02bd200123456789abcdef", "a@b.co", kNowSeconds, kNowSeconds + 86400}));
}

TEST(SignJwt, WritesAnHs256Header) {
    const test::FakeClock clock;

    const std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));

    EXPECT_EQ(token.substr(0, token.find('.')), test::Base64Url(kHs256Header));
}

TEST(SignJwt, RoundsIssuedAtDown) {
    const test::FakeClock clock(util::FromEpochMs(kNowSeconds * 1000 + 999));

    const auto user =
        VerifyJwt(SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60)), kKey, clock.Now());

    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->iat, kNowSeconds);
    EXPECT_EQ(user->exp, kNowSeconds + 60);
}

TEST(SignJwt, ThrowsOnEmptyKey) {
    const test::FakeClock clock;

    EXPECT_THROW(SignJwt("id", "a@b.co", "", clock.Now(), seconds(60)), std::invalid_argument);
}

TEST(VerifyJwt, AcceptsHandBuiltHs256Token) {
    // Proves the hand-built tokens below differ from a valid one only in what each test changes.
    const test::FakeClock clock;

    const auto user = VerifyJwt(
        BuildToken(kHs256Header, ValidPayload(), kKey, TokenSignature::kHs256), kKey, clock.Now());

    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->email, "a@b.co");
}

TEST(VerifyJwt, RejectsExpiredToken) {
    test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));

    clock.Advance(std::chrono::milliseconds(59'999));
    const auto just_before = VerifyJwt(token, kKey, clock.Now());
    clock.Advance(std::chrono::milliseconds(1));
    const auto at_exp = VerifyJwt(token, kKey, clock.Now());

    EXPECT_TRUE(just_before.has_value());
    EXPECT_FALSE(at_exp.has_value());
}

TEST(VerifyJwt, RejectsWrongKey) {
    const test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));

    EXPECT_FALSE(VerifyJwt(token, kOtherKey, clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsEmptyKey) {
    const test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));

    EXPECT_FALSE(VerifyJwt(token, "", clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsTamperedPayload) {
    const test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    const std::string forged_payload = test::Base64Url(nlohmann::json{
        {"id", "id"},
        {"email", "admin@b.co"},
        {"iat", kNowSeconds},
        {"exp", kNowSeconds + 60}}.dump());

    const std::string tampered =
        token.substr(0, first_dot + 1) + forged_payload + token.substr(second_dot);

    EXPECT_FALSE(VerifyJwt(tampered, kKey, clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsTamperedSignature) {
    const test::FakeClock clock;
    std::string token = SignJwt("id", "a@b.co", kKey, clock.Now(), seconds(60));
    token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';

    EXPECT_FALSE(VerifyJwt(token, kKey, clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsAlgNone) {
    const test::FakeClock clock;
    const std::string unsigned_token =
        BuildToken(R"({"alg":"none","typ":"JWT"})", ValidPayload(), kKey, TokenSignature::kNone);

    EXPECT_FALSE(VerifyJwt(unsigned_token, kKey, clock.Now()).has_value());
    EXPECT_FALSE(VerifyJwt(unsigned_token.substr(0, unsigned_token.size() - 1), kKey, clock.Now())
                     .has_value());
    EXPECT_FALSE(
        VerifyJwt(BuildToken(R"({"alg":"none"})", ValidPayload(), kKey, TokenSignature::kHs256),
                  kKey,
                  clock.Now())
            .has_value());
}

TEST(VerifyJwt, RejectsHs512EvenWithTheRightKey) {
    const test::FakeClock clock;
    const std::string token =
        BuildToken(R"({"alg":"HS512","typ":"JWT"})", ValidPayload(), kKey, TokenSignature::kHs512);

    EXPECT_FALSE(VerifyJwt(token, kKey, clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsOtherAlgorithmsSignedAsHs256) {
    const test::FakeClock clock;

    for (const char* header : {R"({"alg":"RS256","typ":"JWT"})",
                               R"({"alg":"hs256","typ":"JWT"})",
                               R"({"alg":["HS256"],"typ":"JWT"})",
                               R"({"typ":"JWT"})",
                               R"(["HS256"])",
                               "not json"}) {
        EXPECT_FALSE(VerifyJwt(BuildToken(header, ValidPayload(), kKey, TokenSignature::kHs256),
                               kKey,
                               clock.Now())
                         .has_value())
            << header;
    }
}

TEST(VerifyJwt, RejectsMissingOrMistypedClaims) {
    const test::FakeClock clock;
    const nlohmann::json valid = nlohmann::json::parse(ValidPayload());
    std::vector<nlohmann::json> payloads;
    for (const char* claim : {"id", "email", "iat", "exp"}) {
        nlohmann::json missing = valid;
        missing.erase(claim);
        payloads.push_back(missing);
    }
    for (const auto& [claim, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"id", 5},
             {"id", ""},
             {"email", nullptr},
             {"email", nlohmann::json::array()},
             {"iat", "1795341600"},
             {"exp", std::to_string(kNowSeconds + 3600)},
             {"exp", static_cast<double>(kNowSeconds) + 3600.5},
             {"exp", true}}) {
        nlohmann::json mistyped = valid;
        mistyped[claim] = value;
        payloads.push_back(mistyped);
    }

    for (const auto& payload : payloads) {
        const std::string token =
            BuildToken(kHs256Header, payload.dump(), kKey, TokenSignature::kHs256);
        EXPECT_FALSE(VerifyJwt(token, kKey, clock.Now()).has_value()) << payload.dump();
    }
}

TEST(VerifyJwt, RejectsGarbage) {
    const test::FakeClock clock;
    const std::string valid =
        BuildToken(kHs256Header, ValidPayload(), kKey, TokenSignature::kHs256);

    for (const std::string& token :
         {std::string(""),
          std::string("garbage"),
          std::string("a.b.c"),
          std::string(".."),
          std::string("..."),
          valid + ".",
          valid + ".extra",
          "." + valid,
          valid + "=",
          valid.substr(0, valid.rfind('.')),
          std::string(10'000, 'a'),
          valid.substr(0, 10) + std::string(1, '\0') + valid.substr(10)}) {
        EXPECT_FALSE(VerifyJwt(token, kKey, clock.Now()).has_value()) << token;
    }
}

TEST(ToJson, WritesIdEmailIatExp) {
    const UserPayload user{"6b02bd200123456789abcdef", "a@b.co", 10, 20};

    EXPECT_EQ(ToJson(user),
              nlohmann::json::parse(
                  R"({"id":"6b02bd200123456789abcdef","email":"a@b.co","iat":10,"exp":20})"));
}

}  // namespace
}  // namespace ticketing::auth

// ES256 session tokens (DESIGN.md section 13): what auth signs verifies with the public key of
// its kid; everything an attacker could send instead is refused. Keys are made in memory.
#include "common/auth/jwt.hpp"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/testing/fake_clock.hpp"

#include "token_builder.hpp"

namespace ticketing::auth {
namespace {

using std::chrono::seconds;
using test::BuildToken;
using test::TokenSignature;

constexpr std::int64_t kNowSeconds = 1'795'341'600;  // FakeClock's start
constexpr const char* kEs256Header = R"({"alg":"ES256","typ":"JWT","kid":"k1"})";

struct Keys {
    KeyPairPem k1 = GenerateKeyPair();
    KeyPairPem k2 = GenerateKeyPair();
    KeyPairPem stranger = GenerateKeyPair();
};

const Keys& TestKeys() {
    static const Keys keys;
    return keys;
}

SigningKey Signer(std::string kid = "k1") {
    return SigningKey(TestKeys().k1.private_pem, std::move(kid));
}

VerificationKeys K1() {
    return VerificationKeys::FromPem({{"k1", TestKeys().k1.public_pem}});
}

std::string ValidPayload() {
    return nlohmann::json{{"id", "6b02bd200123456789abcdef"},
                          {"email", "a@b.co"},
                          {"iat", kNowSeconds},
                          {"exp", kNowSeconds + 3600},
                          {"jti", "0123456789abcdef0123456789abcdef"}}
        .dump();
}

nlohmann::json Segment(const std::string& token, int index) {
    std::size_t start = 0;
    for (int i = 0; i < index; ++i) {
        start = token.find('.', start) + 1;
    }
    const auto end = token.find('.', start);
    std::string text = token.substr(start, end - start);
    // base64url without padding -> bytes, through the builder's inverse: decode by hand.
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    int bits = 0;
    unsigned value = 0;
    for (char c : text) {
        value = (value << 6) | static_cast<unsigned>(kAlphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((value >> bits) & 0xFF));
        }
    }
    return nlohmann::json::parse(out);
}

TEST(SignJwt, RoundTripsThroughVerifyJwt) {
    const test::FakeClock clock;
    const std::string token =
        SignJwt("6b02bd200123456789abcdef", "a@b.co", Signer(), clock.Now(), seconds(86400));
    const auto user = VerifyJwt(token, K1(), clock.Now());
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->id, "6b02bd200123456789abcdef");
    EXPECT_EQ(user->email, "a@b.co");
    EXPECT_EQ(user->iat, kNowSeconds);
    EXPECT_EQ(user->exp, kNowSeconds + 86400);
    EXPECT_EQ(user->jti.size(), 32u);
}

TEST(SignJwt, WritesAnEs256HeaderWithTheKid) {
    const test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60));
    const auto header = Segment(token, 0);
    EXPECT_EQ(header["alg"], "ES256");
    EXPECT_EQ(header["kid"], "k1");
}

TEST(SignJwt, GivesEveryTokenItsOwnJti) {
    const test::FakeClock clock;
    std::set<std::string> jtis;
    for (int i = 0; i < 20; ++i) {
        jtis.insert(Segment(SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60)), 1)["jti"]
                        .get<std::string>());
    }
    EXPECT_EQ(jtis.size(), 20u);
}

TEST(SignJwt, RoundsIssuedAtDown) {
    test::FakeClock clock;
    clock.Advance(std::chrono::milliseconds(999));
    const auto user =
        VerifyJwt(SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60)), K1(), clock.Now());
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->iat, kNowSeconds);
}

TEST(SigningKey, RefusesWhatIsNotAP256PrivateKeyOrABadKid) {
    EXPECT_THROW(SigningKey(TestKeys().k1.public_pem, "k1"), std::invalid_argument);
    EXPECT_THROW(SigningKey("not a pem", "k1"), std::invalid_argument);
    EXPECT_THROW(SigningKey(TestKeys().k1.private_pem, ""), std::invalid_argument);
    EXPECT_THROW(SigningKey(TestKeys().k1.private_pem, "../etc/passwd"), std::invalid_argument);
}

TEST(VerificationKeys, RefusesPrivateKeysGarbageAndDuplicates) {
    EXPECT_THROW(VerificationKeys::FromPem({{"k1", TestKeys().k1.private_pem}}),
                 std::invalid_argument);
    EXPECT_THROW(VerificationKeys::FromPem({{"k1", "garbage"}}), std::invalid_argument);
    EXPECT_THROW(VerificationKeys::FromPem(
                     {{"k1", TestKeys().k1.public_pem}, {"k1", TestKeys().k2.public_pem}}),
                 std::invalid_argument);
    EXPECT_EQ(K1().kids(), std::vector<std::string>{"k1"});
}

// Rotation: while both public keys are held, tokens of the old and the new key are valid.
TEST(VerifyJwt, AcceptsEveryKidItHoldsDuringARotation) {
    const test::FakeClock clock;
    const auto both = VerificationKeys::FromPem(
        {{"k1", TestKeys().k1.public_pem}, {"k2", TestKeys().k2.public_pem}});
    const SigningKey old_key(TestKeys().k1.private_pem, "k1");
    const SigningKey new_key(TestKeys().k2.private_pem, "k2");
    const auto old_token = SignJwt("id", "a@b.co", old_key, clock.Now(), seconds(60));
    const auto new_token = SignJwt("id", "a@b.co", new_key, clock.Now(), seconds(60));
    EXPECT_TRUE(VerifyJwt(old_token, both, clock.Now()).has_value());
    EXPECT_TRUE(VerifyJwt(new_token, both, clock.Now()).has_value());
    // After the old public key is dropped, its tokens are no longer valid.
    const auto only_new = VerificationKeys::FromPem({{"k2", TestKeys().k2.public_pem}});
    EXPECT_FALSE(VerifyJwt(old_token, only_new, clock.Now()).has_value());
    EXPECT_TRUE(VerifyJwt(new_token, only_new, clock.Now()).has_value());
}

TEST(VerifyJwt, AcceptsHandBuiltEs256Token) {
    const test::FakeClock clock;
    const auto user = VerifyJwt(
        BuildToken(kEs256Header, ValidPayload(), TestKeys().k1.private_pem, TokenSignature::kEs256),
        K1(),
        clock.Now());
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->jti, "0123456789abcdef0123456789abcdef");
}

TEST(VerifyJwt, RejectsExpiredToken) {
    test::FakeClock clock;
    const auto keys = K1();
    const std::string token = SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60));
    clock.Advance(std::chrono::milliseconds(59'999));
    EXPECT_TRUE(VerifyJwt(token, keys, clock.Now()).has_value());
    clock.Advance(std::chrono::milliseconds(1));
    // Also from the cache of verified tokens: the clock is checked every time.
    EXPECT_FALSE(VerifyJwt(token, keys, clock.Now()).has_value());
}

TEST(VerifyJwt, RejectsAnotherKeyUnderAKnownKid) {
    const test::FakeClock clock;
    const SigningKey forger(TestKeys().stranger.private_pem, "k1");
    EXPECT_FALSE(
        VerifyJwt(SignJwt("id", "a@b.co", forger, clock.Now(), seconds(60)), K1(), clock.Now())
            .has_value());
}

TEST(VerifyJwt, RejectsUnknownOrMissingKid) {
    const test::FakeClock clock;
    EXPECT_FALSE(VerifyJwt(SignJwt("id", "a@b.co", Signer("k9"), clock.Now(), seconds(60)),
                           K1(),
                           clock.Now())
                     .has_value());
    EXPECT_FALSE(VerifyJwt(BuildToken(R"({"alg":"ES256"})",
                                      ValidPayload(),
                                      TestKeys().k1.private_pem,
                                      TokenSignature::kEs256),
                           K1(),
                           clock.Now())
                     .has_value());
    EXPECT_FALSE(VerifyJwt(SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60)),
                           VerificationKeys(),
                           clock.Now())
                     .has_value());
}

TEST(VerifyJwt, RejectsTamperedPayloadOrSignature) {
    const test::FakeClock clock;
    const std::string token = SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60));
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    auto payload = nlohmann::json::parse(ValidPayload());
    payload["id"] = "6b02bd200123456789abcdee";
    const std::string tampered = token.substr(0, first + 1) + test::Base64Url(payload.dump()) +
                                 token.substr(second);
    EXPECT_FALSE(VerifyJwt(tampered, K1(), clock.Now()).has_value());
    std::string bad_signature = token;
    bad_signature[second + 5] = bad_signature[second + 5] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(VerifyJwt(bad_signature, K1(), clock.Now()).has_value());
}

// What an attacker who holds only public keys can make: alg none, HMAC with the public key's
// PEM as the secret (the algorithm-confusion attack), another ECDSA curve, RS256.
TEST(VerifyJwt, RejectsEveryOtherAlgorithm) {
    const test::FakeClock clock;
    const std::string& public_pem = TestKeys().k1.public_pem;
    for (const auto& [header, signature] : std::vector<std::pair<std::string, TokenSignature>>{
             {R"({"alg":"none","kid":"k1"})", TokenSignature::kNone},
             {R"({"alg":"HS256","kid":"k1"})", TokenSignature::kHs256},
             {R"({"alg":"HS512","kid":"k1"})", TokenSignature::kHs512},
             {R"({"alg":"ES384","kid":"k1"})", TokenSignature::kHs256},
             {R"({"alg":"RS256","kid":"k1"})", TokenSignature::kHs256},
             {R"({"alg":"es256","kid":"k1"})", TokenSignature::kHs256},
             {R"({"kid":"k1"})", TokenSignature::kHs256},
             {R"(["ES256"])", TokenSignature::kHs256},
             {"not json", TokenSignature::kHs256}}) {
        EXPECT_FALSE(
            VerifyJwt(BuildToken(header, ValidPayload(), public_pem, signature), K1(), clock.Now())
                .has_value())
            << header;
    }
}

TEST(VerifyJwt, RejectsMissingOrMistypedClaims) {
    const test::FakeClock clock;
    const nlohmann::json valid = nlohmann::json::parse(ValidPayload());
    std::vector<nlohmann::json> payloads;
    for (const char* claim : {"id", "email", "iat", "exp", "jti"}) {
        nlohmann::json missing = valid;
        missing.erase(claim);
        payloads.push_back(missing);
    }
    for (const auto& [claim, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"id", 5},
             {"id", ""},
             {"email", nullptr},
             {"email", nlohmann::json::array()},
             {"jti", ""},
             {"jti", 7},
             {"iat", "1795341600"},
             {"exp", std::to_string(kNowSeconds + 3600)},
             {"exp", static_cast<double>(kNowSeconds) + 3600.5},
             {"exp", true}}) {
        nlohmann::json mistyped = valid;
        mistyped[claim] = value;
        payloads.push_back(mistyped);
    }
    for (const auto& payload : payloads) {
        const std::string token = BuildToken(
            kEs256Header, payload.dump(), TestKeys().k1.private_pem, TokenSignature::kEs256);
        EXPECT_FALSE(VerifyJwt(token, K1(), clock.Now()).has_value()) << payload.dump();
    }
}

TEST(VerifyJwt, RejectsGarbage) {
    const test::FakeClock clock;
    const std::string valid = SignJwt("id", "a@b.co", Signer(), clock.Now(), seconds(60));
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
        EXPECT_FALSE(VerifyJwt(token, K1(), clock.Now()).has_value()) << token;
    }
}

TEST(ToJson, WritesIdEmailIatExpButNotTheJti) {
    const UserPayload user{"6b02bd200123456789abcdef", "a@b.co", 10, 20, "secret-jti"};
    EXPECT_EQ(ToJson(user),
              nlohmann::json::parse(
                  R"({"id":"6b02bd200123456789abcdef","email":"a@b.co","iat":10,"exp":20})"));
}

}  // namespace
}  // namespace ticketing::auth

#include "common/auth/session.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "common/http/errors.hpp"
#include "common/http/request.hpp"
#include "common/testing/fake_clock.hpp"

namespace ticketing::auth {
namespace {

using std::chrono::seconds;

const KeyPairPem& Pair() {
    static const KeyPairPem pair = GenerateKeyPair();
    return pair;
}

SessionSettings Settings(const util::Clock& clock, const RevocationList* revoked) {
    SessionSettings s;
    s.keys = VerificationKeys::FromPem({{"k1", Pair().public_pem}});
    s.signer = SigningKey(Pair().private_pem, "k1");
    s.ttl = seconds(3600);
    s.clock = &clock;
    s.revoked = revoked;
    return s;
}

http::Request RequestWithCookie(std::optional<std::string> cookie_header) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (cookie_header) {
        headers.emplace_back("Cookie", *cookie_header);
    }
    return http::Request(http::Method::kGet, "/api/users/currentuser", "", headers, "");
}

class SessionTest : public ::testing::Test {
protected:
    test::FakeClock clock_;
    RevocationList revoked_;
    SessionSettings settings_ = Settings(clock_, &revoked_);
};

TEST(SessionCookieValue, IsBase64OfJwtJson) {
    EXPECT_EQ(SessionCookieValue("abc"), "eyJqd3QiOiJhYmMifQ==");  // {"jwt":"abc"}
}

TEST(SessionCookieValue, RoundTripsThroughTokenFromSessionCookie) {
    const std::string token = "header.payload.signature-_";

    EXPECT_EQ(TokenFromSessionCookie(SessionCookieValue(token)), token);
}

TEST(TokenFromSessionCookie, RejectsMalformedValues) {
    for (const char* value : {"",
                              "not base64!",
                              "eyJqd3QiOiJhYmMifQ",        // padding removed
                              "eyJqd3QiOiJhYmMifQ==x",     // trailing garbage
                              "eyJqd3QiOiJhYmMifQ%3D%3D",  // URL-encoded padding
                              "bm90IGpzb24=",              // "not json"
                              "eyJ0b2tlbiI6ImFiYyJ9",      // {"token":"abc"}
                              "eyJqd3QiOjV9",              // {"jwt":5}
                              "WyJhYmMiXQ=="}) {           // ["abc"]
        EXPECT_FALSE(TokenFromSessionCookie(value).has_value()) << value;
    }
}

// The cookie SessionCookieValue writes is read without the JSON parser; any other JSON spelling
// of the same object still goes through it and means the same token.
TEST(TokenFromSessionCookie, ReadsOtherSpellingsOfTheObjectThroughTheParser) {
    auto b64 = [](std::string_view json) {
        std::string out(sodium_base64_ENCODED_LEN(json.size(), sodium_base64_VARIANT_ORIGINAL),
                        '\0');
        sodium_bin2base64(out.data(), out.size(),
                          reinterpret_cast<const unsigned char*>(json.data()), json.size(),
                          sodium_base64_VARIANT_ORIGINAL);
        out.resize(out.find('\0'));
        return out;
    };
    EXPECT_EQ(TokenFromSessionCookie(b64(R"({"jwt":"a.b.c"})")), "a.b.c");
    EXPECT_EQ(TokenFromSessionCookie(b64(R"({ "jwt" : "a.b.c" })")), "a.b.c");
    EXPECT_EQ(TokenFromSessionCookie(b64(R"({"jwt":"a\u002eb"})")), "a.b");
    EXPECT_EQ(TokenFromSessionCookie(b64(R"({"jwt":"x","other":1})")), "x");
    EXPECT_EQ(TokenFromSessionCookie(b64(R"({"jwt":""})")), "");
    // What the parser refuses is refused, whichever way it is read.
    for (std::string_view bad : {std::string_view("{\"jwt\":\"a\tb\"}"),  // a raw tab
                                 std::string_view("{\"jwt\":\"a\xff\"}"),  // not UTF-8
                                 std::string_view(R"({"jwt":"a"b"})"),
                                 std::string_view(R"({"jwt":"a\"})")}) {  // unterminated
        EXPECT_FALSE(TokenFromSessionCookie(b64(bad)).has_value()) << bad;
    }
}

TEST(SignInSetCookie, WritesSessionCookieAttributes) {
    EXPECT_EQ(SignInSetCookie("abc", false),
              "session=eyJqd3QiOiJhYmMifQ==; path=/; httponly; samesite=lax");
}

TEST(SignInSetCookie, AddsSecureOverHttps) {
    EXPECT_EQ(SignInSetCookie("abc", true),
              "session=eyJqd3QiOiJhYmMifQ==; path=/; httponly; samesite=lax; secure");
}

TEST(SignOutSetCookie, ExpiresTheSessionCookie) {
    EXPECT_EQ(SignOutSetCookie(),
              "session=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax");
}

TEST_F(SessionTest, CurrentUserReadsSignedInUser) {
    const std::string token = IssueToken("6b02bd200123456789abcdef", "a@b.co", settings_);
    const auto request = RequestWithCookie("other=1; session=" + SessionCookieValue(token));

    const auto user = CurrentUser(request, settings_);

    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->id, "6b02bd200123456789abcdef");
    EXPECT_EQ(user->email, "a@b.co");
    EXPECT_EQ(user->exp - user->iat, 3600);
}

TEST_F(SessionTest, CurrentUserIsNullWithoutCookie) {
    EXPECT_FALSE(CurrentUser(RequestWithCookie(std::nullopt), settings_).has_value());
    EXPECT_FALSE(CurrentUser(RequestWithCookie("other=1"), settings_).has_value());
    EXPECT_FALSE(CurrentUser(RequestWithCookie("session="), settings_).has_value());
}

TEST_F(SessionTest, CurrentUserIsNullForGarbageCookie) {
    EXPECT_FALSE(CurrentUser(RequestWithCookie("session=garbage"), settings_).has_value());
    EXPECT_FALSE(
        CurrentUser(RequestWithCookie("session=" + SessionCookieValue("not.a.jwt")), settings_)
            .has_value());
}

TEST_F(SessionTest, CurrentUserIsNullForForgedToken) {
    SessionSettings attacker = settings_;
    attacker.signer = SigningKey(GenerateKeyPair().private_pem, "k1");
    const std::string forged = IssueToken("6b02bd200123456789abcdef", "a@b.co", attacker);

    const auto user =
        CurrentUser(RequestWithCookie("session=" + SessionCookieValue(forged)), settings_);

    EXPECT_FALSE(user.has_value());
}

TEST_F(SessionTest, CurrentUserIsNullOnceExpired) {
    const std::string token = IssueToken("6b02bd200123456789abcdef", "a@b.co", settings_);
    const auto request = RequestWithCookie("session=" + SessionCookieValue(token));

    clock_.Advance(seconds(3600));

    EXPECT_FALSE(CurrentUser(request, settings_).has_value());
}

// A cookie value seen before skips its decoding (issue 20), never the checks after it: the same
// value is refused once its token expires, and under keys that did not sign it.
TEST_F(SessionTest, ACookieSeenBeforeIsCheckedAgainEveryTime) {
    const std::string value = SessionCookieValue(IssueToken("id1", "a@b.co", settings_));
    ASSERT_TRUE(CurrentUserFromCookie(value, settings_).has_value());
    ASSERT_TRUE(CurrentUserFromCookie(value, settings_).has_value());

    SessionSettings other_keys = settings_;
    other_keys.keys = VerificationKeys::FromPem({{"k1", GenerateKeyPair().public_pem}});
    EXPECT_FALSE(CurrentUserFromCookie(value, other_keys).has_value());

    clock_.Advance(seconds(3600));
    EXPECT_FALSE(CurrentUserFromCookie(value, settings_).has_value());
}

TEST_F(SessionTest, CurrentUserFromCookieTakesPlainValues) {
    const std::string value = SessionCookieValue(IssueToken("id1", "a@b.co", settings_));

    EXPECT_TRUE(CurrentUserFromCookie(value, settings_).has_value());
    EXPECT_FALSE(CurrentUserFromCookie(std::nullopt, settings_).has_value());
}

TEST_F(SessionTest, RequireAuthReturnsSignedInUser) {
    const std::string token = IssueToken("id1", "a@b.co", settings_);

    const UserPayload user =
        RequireAuth(RequestWithCookie("session=" + SessionCookieValue(token)), settings_);

    EXPECT_EQ(user.id, "id1");
}

TEST_F(SessionTest, ARevokedTokenIsNotSignedInAndOthersAre) {
    const std::string token = IssueToken("id1", "a@b.co", settings_);
    const std::string other = IssueToken("id1", "a@b.co", settings_);
    const auto user = CurrentUserFromCookie(SessionCookieValue(token), settings_);
    ASSERT_TRUE(user.has_value());

    revoked_.Revoke(user->jti, user->exp, clock_.Now());

    EXPECT_FALSE(CurrentUserFromCookie(SessionCookieValue(token), settings_).has_value());
    EXPECT_TRUE(CurrentUserFromCookie(SessionCookieValue(other), settings_).has_value());
    EXPECT_THROW(RequireAuth(RequestWithCookie("session=" + SessionCookieValue(token)), settings_),
                 http::NotAuthorizedError);
}

// A revocation is kept until the token's exp, then dropped (the token is invalid anyway).
TEST(RevocationList, ForgetsRevocationsOnceTheirTokensExpire) {
    test::FakeClock clock;
    RevocationList list;
    const std::int64_t now_s = util::ToEpochMs(clock.Now()) / 1000;
    list.Revoke("short", now_s + 10, clock.Now());
    list.Revoke("long", now_s + 3600, clock.Now());
    EXPECT_TRUE(list.IsRevoked("short"));
    EXPECT_EQ(list.size(), 2u);
    clock.Advance(seconds(120));  // past "short"'s exp and the once-a-minute pruning interval
    list.Revoke("third", now_s + 3600, clock.Now());
    EXPECT_FALSE(list.IsRevoked("short"));
    EXPECT_TRUE(list.IsRevoked("long"));
    EXPECT_EQ(list.size(), 2u);
}

TEST_F(SessionTest, IssuingWithoutASigningKeyIsAProgrammingError) {
    SessionSettings verifier_only = settings_;
    verifier_only.signer.reset();
    EXPECT_THROW(IssueToken("id1", "a@b.co", verifier_only), std::logic_error);
}

TEST_F(SessionTest, RequireAuthThrowsNotAuthorizedWhenSignedOut) {
    EXPECT_THROW(RequireAuth(RequestWithCookie(std::nullopt), settings_), http::NotAuthorizedError);
    EXPECT_THROW(RequireAuth(RequestWithCookie("session=garbage"), settings_),
                 http::NotAuthorizedError);
}

}  // namespace
}  // namespace ticketing::auth

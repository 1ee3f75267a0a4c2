#include "common/auth/session.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/errors.hpp"
#include "common/http/request.hpp"
#include "common/testing/fake_clock.hpp"

namespace ticketing::auth {
namespace {

using std::chrono::seconds;

constexpr const char* kKey = "0123456789abcdef0123456789abcdef";

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
    SessionSettings settings_{kKey, seconds(3600), &clock_};
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
    const SessionSettings attacker{"fedcba9876543210fedcba9876543210", seconds(3600), &clock_};
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

TEST_F(SessionTest, RequireAuthThrowsNotAuthorizedWhenSignedOut) {
    EXPECT_THROW(RequireAuth(RequestWithCookie(std::nullopt), settings_), http::NotAuthorizedError);
    EXPECT_THROW(RequireAuth(RequestWithCookie("session=garbage"), settings_),
                 http::NotAuthorizedError);
}

}  // namespace
}  // namespace ticketing::auth

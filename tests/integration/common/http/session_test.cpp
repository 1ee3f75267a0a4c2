// The session cookie over a real HTTP round trip: a server signs a user in, the client sends the
// cookie back, and forged, expired, alg:none and garbage tokens all mean "not signed in".
#include "common/auth/session.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/session_keys.hpp"

namespace ticketing::auth {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;

std::string Base64Url(std::string_view in) {
    std::string out(sodium_base64_encoded_len(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                    '\0');
    sodium_bin2base64(out.data(),
                      out.size(),
                      reinterpret_cast<const unsigned char*>(in.data()),
                      in.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string Cookie(const std::string& token) {
    return "session=" + SessionCookieValue(token);
}

class SessionTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", log::Level::kWarn);
        settings_ = test::TestSessionSettings(clock_, 3600s, &revoked_);
        http::Router router;
        router.Post("/signin", [this](http::Request& r) {
            auto token = IssueToken("5f1a2b3c4d5e6f7a8b9c0d1e", "a@b.co", settings_);
            return http::Response::Json(200, {{"ok", true}})
                .AddHeader("Set-Cookie", SignInSetCookie(token, r.IsHttps()));
        });
        router.Post("/signout", [](http::Request&) {
            return http::Response::Json(200, nlohmann::json::object())
                .AddHeader("Set-Cookie", SignOutSetCookie());
        });
        router.Get("/currentuser", [this](http::Request& r) {
            auto user = CurrentUser(r, settings_);
            return http::Response::Json(
                200, {{"currentUser", user ? ToJson(*user) : nlohmann::json(nullptr)}});
        });
        router.Get("/private", [this](http::Request& r) {
            RequireAuth(r, settings_);
            return http::Response::Json(200, {{"ok", true}});
        });
        http::ServerOptions o;
        o.address = "127.0.0.1";
        o.port = 0;
        server_ = std::make_unique<http::Server>(o, std::move(router), registry_);
        server_->Start();
        client_ =
            std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(server_->port()));
    }

    nlohmann::json CurrentUserWith(const std::string& cookie) {
        return client_->Get("/currentuser", {{"Cookie", cookie}}).Json()["currentUser"];
    }

    test::FakeClock clock_;
    RevocationList revoked_;
    SessionSettings settings_;
    metrics::Registry registry_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<HttpClient> client_;
};

TEST_F(SessionTest, CookieFromSignInIdentifiesTheUser) {
    auto signin = client_->Post("/signin", "{}");
    std::string cookie = test::CookiePair(signin, "session");
    ASSERT_FALSE(cookie.empty());
    auto user = CurrentUserWith(cookie);
    EXPECT_EQ(user["id"], "5f1a2b3c4d5e6f7a8b9c0d1e");
    EXPECT_EQ(user["email"], "a@b.co");
    EXPECT_EQ(user["exp"].get<std::int64_t>() - user["iat"].get<std::int64_t>(), 3600);
    EXPECT_EQ(client_->Get("/private", {{"Cookie", cookie}}).status, 200);
}

TEST_F(SessionTest, SignInCookieHasTheContractAttributes) {
    auto plain = client_->Post("/signin", "{}");
    auto set_cookie = plain.Header("set-cookie").value();
    EXPECT_TRUE(set_cookie.ends_with("; path=/; httponly; samesite=lax")) << set_cookie;
    auto https = client_->Post("/signin", "{}", {{"X-Forwarded-Proto", "https"}});
    EXPECT_TRUE(https.Header("set-cookie").value().ends_with("; secure"));
}

TEST_F(SessionTest, SignOutClearsTheCookieExactly) {
    auto r = client_->Post("/signout", "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("set-cookie").value(),
              "session=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax");
    EXPECT_EQ(r.Json(), nlohmann::json::object());
}

TEST_F(SessionTest, NoCookieMeansNotSignedIn) {
    EXPECT_TRUE(client_->Get("/currentuser").Json()["currentUser"].is_null());
    auto r = client_->Get("/private");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Not authorized");
}

TEST_F(SessionTest, ExpiredTokenMeansNotSignedIn) {
    std::string cookie = test::CookiePair(client_->Post("/signin", "{}"), "session");
    clock_.Advance(3601s);
    EXPECT_TRUE(CurrentUserWith(cookie).is_null());
    EXPECT_EQ(client_->Get("/private", {{"Cookie", cookie}}).status, 401);
}

TEST_F(SessionTest, TokenSignedWithAnotherKeyMeansNotSignedIn) {
    // Same kid, another private key: what a service holding only public keys could try.
    std::string forged = SignJwt("5f1a2b3c4d5e6f7a8b9c0d1e",
                                 "a@b.co",
                                 test::SessionKeys().stranger,
                                 clock_.Now(),
                                 3600s);
    EXPECT_TRUE(CurrentUserWith(Cookie(forged)).is_null());
    EXPECT_EQ(client_->Get("/private", {{"Cookie", Cookie(forged)}}).status, 401);
}

TEST_F(SessionTest, RevokedTokenMeansNotSignedInUntilItExpires) {
    std::string cookie = test::CookiePair(client_->Post("/signin", "{}"), "session");
    std::string other = test::CookiePair(client_->Post("/signin", "{}"), "session");
    auto user = CurrentUserWith(cookie);
    ASSERT_FALSE(user.is_null());
    auto token = TokenFromSessionCookie(cookie.substr(std::string("session=").size()));
    ASSERT_TRUE(token.has_value());
    auto payload = VerifyJwt(*token, test::SessionKeys().keys, clock_.Now());
    ASSERT_TRUE(payload.has_value());
    revoked_.Revoke(payload->jti, payload->exp, clock_.Now());
    EXPECT_TRUE(CurrentUserWith(cookie).is_null());
    EXPECT_EQ(client_->Get("/private", {{"Cookie", cookie}}).status, 401);
    // Only that token: another session of the same user still works.
    EXPECT_FALSE(CurrentUserWith(other).is_null());
}

// The header decides nothing but the key: HS256 signed with the public key's PEM as the HMAC
// secret (the classic algorithm confusion), an unknown kid and no kid are all refused.
TEST_F(SessionTest, OnlyEs256WithAKnownKidIsAccepted) {
    auto now = util::ToEpochMs(clock_.Now()) / 1000;
    std::string payload = Base64Url(nlohmann::json{{"id", "5f1a2b3c4d5e6f7a8b9c0d1e"},
                                                   {"email", "a@b.co"},
                                                   {"iat", now},
                                                   {"exp", now + 3600},
                                                   {"jti", "x"}}
                                        .dump());
    std::string real = SignJwt("5f1a2b3c4d5e6f7a8b9c0d1e", "a@b.co", test::SessionKeys().signer,
                               clock_.Now(), 3600s);
    std::string real_signature = real.substr(real.rfind('.') + 1);
    for (const std::string& header : {std::string(R"({"alg":"HS256","kid":"test-key"})"),
                                      std::string(R"({"alg":"ES256","kid":"other-key"})"),
                                      std::string(R"({"alg":"ES256"})"),
                                      std::string(R"({"alg":"ES384","kid":"test-key"})")}) {
        std::string token = Base64Url(header) + "." + payload + "." + real_signature;
        EXPECT_TRUE(CurrentUserWith(Cookie(token)).is_null()) << header;
    }
    // The real token with its payload swapped keeps its signature but fails it.
    std::string swapped = real.substr(0, real.find('.')) + "." + payload + "." + real_signature;
    EXPECT_TRUE(CurrentUserWith(Cookie(swapped)).is_null());
    EXPECT_FALSE(CurrentUserWith(Cookie(real)).is_null());
}

TEST_F(SessionTest, AlgNoneTokenMeansNotSignedIn) {
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    std::string payload = nlohmann::json{
        {"id", "5f1a2b3c4d5e6f7a8b9c0d1e"},
        {"email", "a@b.co"},
        {"iat", now},
        {"exp", now + 3600}}.dump();
    std::string token = Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + Base64Url(payload) + ".";
    EXPECT_TRUE(CurrentUserWith(Cookie(token)).is_null());
    EXPECT_EQ(client_->Get("/private", {{"Cookie", Cookie(token)}}).status, 401);
}

TEST_F(SessionTest, GarbageCookiesMeanNotSignedIn) {
    for (const std::string& c : {std::string("session=%%%"),
                                 std::string("session="),
                                 std::string("session=eyJqd3QiOiJ4In0="),  // {"jwt":"x"}
                                 std::string("session=") + std::string(8000, 'A')}) {
        auto r = client_->Get("/currentuser", {{"Cookie", c}});
        EXPECT_EQ(r.status, 200) << c.substr(0, 40);
        EXPECT_TRUE(r.Json()["currentUser"].is_null()) << c.substr(0, 40);
    }
    // A header value over 8 KB (nginx's own line limit) is refused in the contract's format.
    auto r = client_->Get("/currentuser", {{"Cookie", "session=" + std::string(10000, 'A')}});
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Request headers are too large");
}

}  // namespace
}  // namespace ticketing::auth

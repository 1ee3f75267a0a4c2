// The auth service's routes over real HTTP, with the service's own router, repository and
// Argon2id hasher, on SQLite and on a real PostgreSQL. Every row of DESIGN.md's auth table, the
// course's cases, and bad input: malformed JSON, non-object bodies, non-string fields, huge
// bodies, forged/expired/alg:none sessions.
#include <future>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "common/bus/outbox.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/stream_reader.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"
#include "common/testing/session_keys.hpp"
#include "common/util/ids.hpp"

#include "assembly.hpp"
#include "domain/auth_service.hpp"
#include "handlers/handlers.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_session_revoker.hpp"
#include "storage/user_repository.hpp"

namespace ticketing::auth_service {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::HttpClient;

constexpr const char* kSignUp = "/api/users/signup";
constexpr const char* kSignIn = "/api/users/signin";
constexpr const char* kSignOut = "/api/users/signout";
constexpr const char* kCurrentUser = "/api/users/currentuser";

std::string Body(const std::string& email, const std::string& password) {
    return json{{"email", email}, {"password", password}}.dump();
}

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

class AuthApiTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override { Start(builder_, Fast()); }

    // Stops the service in the builder's order (HTTP, relay), then frees it.
    void TearDown() override { builder_.reset(); }

    // Limits for tests: the smallest Argon2id, throttles that let every test through.
    static Settings Fast() {
        Settings s;
        s.hash_queue = 64;
        s.hash_limits = Argon2PasswordHasher::Minimum();
        s.per_address = {1000, 1000};
        s.per_account = {1000, 1000};
        return s;
    }

    // The service as main builds it (auth_service::Assemble on a ServiceBuilder), on the
    // fixture's database, bus and clock, with `settings`; sets client_ when it is the fixture's.
    Parts Start(std::unique_ptr<service::ServiceBuilder>& builder, const Settings& settings) {
        if (database_url_.empty()) {
            database_url_ = test::TestDatabaseUrl(GetParam(), dir_, "auth");
        }
        builder = std::make_unique<service::ServiceBuilder>(
            test::EmbeddedServiceConfig("auth", nats_.Url(), database_url_),
            "",
            service::ServiceBuilder::Mode::kEmbedded);
        builder->UseClock(clock_);
        auto parts = Assemble(*builder, test::SessionKeys().signer, settings);
        builder->Start();
        if (&builder == &builder_) {
            db_ = &builder_->db();
            session_ = test::TestSessionSettings(clock_);
            base_ = "http://127.0.0.1:" + std::to_string(builder_->port());
            client_ = std::make_unique<HttpClient>(base_);
            users_ = &parts.users;
        }
        return parts;
    }

    std::string SignUpCookie(const std::string& email = "test@test.com") {
        auto r = client_->Post(kSignUp, Body(email, "password"));
        EXPECT_EQ(r.status, 201) << r.body;
        return test::CookiePair(r, "session");
    }

    json CurrentUser(const std::string& cookie) {
        return client_->Get(kCurrentUser, {{"Cookie", cookie}}).Json();
    }

    test::TempDir dir_;
    test::NatsServer nats_;
    test::FakeClock clock_;
    std::string database_url_;
    std::unique_ptr<service::ServiceBuilder> builder_;  // the service as its main builds it
    db::Database* db_ = nullptr;
    UserRepository* users_ = nullptr;
    auth::SessionSettings session_;
    std::string base_;
    std::unique_ptr<HttpClient> client_;
};

// ---- signup ----

TEST_P(AuthApiTest, SignUpReturns201WithIdAndEmail) {
    auto r = client_->Post(kSignUp, Body("test@test.com", "password"));
    ASSERT_EQ(r.status, 201) << r.body;
    auto body = r.Json();
    EXPECT_TRUE(util::IsValidId(body["id"].get<std::string>()));
    EXPECT_EQ(body["email"], "test@test.com");
    EXPECT_EQ(body.size(), 2u);  // never the hash
}

TEST_P(AuthApiTest, SignUpSetsTheSessionCookie) {
    auto r = client_->Post(kSignUp, Body("test@test.com", "password"));
    auto set_cookie = r.Header("set-cookie");
    ASSERT_TRUE(set_cookie.has_value());
    EXPECT_TRUE(set_cookie->starts_with("session="));
    EXPECT_TRUE(set_cookie->ends_with("; path=/; httponly; samesite=lax")) << *set_cookie;
}

TEST_P(AuthApiTest, SignUpCookieIsSecureBehindHttps) {
    auto r =
        client_->Post(kSignUp, Body("test@test.com", "password"), {{"X-Forwarded-Proto", "https"}});
    EXPECT_TRUE(r.Header("set-cookie")->ends_with("; samesite=lax; secure"));
}

TEST_P(AuthApiTest, SignUpTrimsAndLowerCasesEmail) {
    auto r = client_->Post(kSignUp, Body("  Test@Test.COM ", "password"));
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.Json()["email"], "test@test.com");
}

TEST_P(AuthApiTest, SignUpRejectsInvalidEmail) {
    auto r = client_->Post(kSignUp, Body("not-an-email", "password"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json(),
              json::parse(R"({"errors":[{"message":"Email must be valid","field":"email"}]})"));
}

TEST_P(AuthApiTest, SignUpRejectsShortAndLongPasswords) {
    for (const std::string& p : {std::string("1234567"), std::string(129, 'x'), std::string()}) {
        auto r = client_->Post(kSignUp, Body("test@test.com", p));
        EXPECT_EQ(r.status, 400) << p.size();
        EXPECT_EQ(r.Json()["errors"][0]["message"],
                  "Password must be between 8 and 128 characters");
        EXPECT_EQ(r.Json()["errors"][0]["field"], "password");
    }
    EXPECT_EQ(client_->Post(kSignUp, Body("test@test.com", std::string(128, 'x'))).status, 201);
}

TEST_P(AuthApiTest, SignUpListsEveryMissingField) {
    for (const char* body : {"{}", ""}) {
        auto r = client_->Post(kSignUp, body);
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.Json(), json::parse(R"({"errors":[
            {"message":"Email must be valid","field":"email"},
            {"message":"Password must be between 8 and 128 characters","field":"password"}]})"));
    }
}

TEST_P(AuthApiTest, SignUpRejectsDuplicateEmailInAnyLetterCase) {
    SignUpCookie("test@test.com");
    for (const char* email : {"test@test.com", "TEST@test.com"}) {
        auto r = client_->Post(kSignUp, Body(email, "password"));
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.Json(), json::parse(R"({"errors":[{"message":"Email in use"}]})"));
        EXPECT_TRUE(test::CookiePair(r, "session").empty());
    }
}

TEST_P(AuthApiTest, ConcurrentSignUpsOfOneEmailGiveExactlyOne201) {
    std::vector<std::future<long>> results;
    for (int i = 0; i < 20; ++i) {
        results.push_back(std::async(std::launch::async, [this, i] {
            HttpClient c(base_);
            return c.Post(kSignUp, Body(i % 2 ? "race@test.com" : "RACE@test.com", "password"))
                .status;
        }));
    }
    std::multiset<long> statuses;
    for (auto& f : results) {
        statuses.insert(f.get());
    }
    EXPECT_EQ(statuses.count(201), 1u);
    EXPECT_EQ(statuses.count(400), 19u);
}

// ---- signin ----

TEST_P(AuthApiTest, SignInWithRightPasswordReturns200AndCookie) {
    SignUpCookie();
    auto r = client_->Post(kSignIn, Body("Test@test.com", "password"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["email"], "test@test.com");
    std::string cookie = test::CookiePair(r, "session");
    ASSERT_FALSE(cookie.empty());
    EXPECT_EQ(CurrentUser(cookie)["currentUser"]["email"], "test@test.com");
}

TEST_P(AuthApiTest, WrongPasswordAndUnknownEmailGiveTheSameAnswer) {
    SignUpCookie();
    auto wrong = client_->Post(kSignIn, Body("test@test.com", "not-the-password"));
    auto unknown = client_->Post(kSignIn, Body("nobody@test.com", "password"));
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(wrong.body, unknown.body);
    EXPECT_EQ(wrong.Json(), json::parse(R"({"errors":[{"message":"Invalid credentials"}]})"));
    EXPECT_TRUE(test::CookiePair(wrong, "session").empty());
}

TEST_P(AuthApiTest, SignInRequiresValidEmailAndAPassword) {
    auto r = client_->Post(kSignIn, R"({"email":"bad"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json(), json::parse(R"({"errors":[
        {"message":"Email must be valid","field":"email"},
        {"message":"You must supply a password","field":"password"}]})"));
}

// ---- signout ----

TEST_P(AuthApiTest, SignOutClearsTheCookieWithTheExactHeader) {
    SignUpCookie();
    auto r = client_->Post(kSignOut, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json(), json::object());
    EXPECT_EQ(r.Header("set-cookie").value(),
              "session=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax");
}

// Sign-out with a valid session records its revocation in the outbox (published by the relay
// as session:revoked, which every service follows); without one it records nothing.
TEST_P(AuthApiTest, SignOutRecordsTheRevocationOfAValidSession) {
    std::string cookie = SignUpCookie();
    auto user = CurrentUser(cookie)["currentUser"];
    ASSERT_EQ(client_->Post(kSignOut, "").status, 200);  // no cookie: nothing to revoke
    auto r = client_->Post(kSignOut, "", {{"Cookie", cookie}});
    EXPECT_EQ(r.status, 200);
    // The relay publishes the one revocation: the stream holds exactly one event.
    std::vector<test::StoredMessage> revoked;
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            revoked = test::ReadStream(nats_.Url(), std::string(bus::kSessionsStreamName));
            return !revoked.empty() && bus::Outbox::Backlog(*db_) == 0;
        },
        10s));
    ASSERT_EQ(revoked.size(), 1u);
    const std::string subject = revoked[0].subject;
    const std::string payload = revoked[0].payload;
    EXPECT_EQ(subject, "session:revoked");
    auto event = events::Decode<events::SessionRevoked>(payload);
    EXPECT_EQ(event.user_id, user["id"]);
    EXPECT_EQ(util::ToEpochMs(event.expires_at) / 1000, user["exp"].get<std::int64_t>());
    EXPECT_EQ(event.jti.size(), 32u);
}

TEST_P(AuthApiTest, SignInRefusesAPasswordOver128Characters) {
    SignUpCookie();
    auto r = client_->Post(kSignIn, Body("test@test.com", std::string(129, 'p')));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["field"], "password");
    EXPECT_EQ(client_->Post(kSignIn, Body("test@test.com", std::string(400 * 1024, 'p'))).status,
              400);
}

// The service limits attempts itself (with no ingress in front): per client address for both
// routes, per account for sign-in. Statuses asserted one by one.
TEST_P(AuthApiTest, SignInIsThrottledPerAccountAndPerAddress) {
    // A second instance of the service on the same database, with tight limits.
    Settings tight = Fast();
    tight.per_address = {1.0, 3};
    tight.per_account = {1.0 / 60, 2};
    std::unique_ptr<service::ServiceBuilder> throttled;
    Start(throttled, tight);
    HttpClient client("http://127.0.0.1:" + std::to_string(throttled->port()));
    const test::Headers from_a{{"X-Forwarded-For", "203.0.113.7"}};
    const test::Headers from_b{{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}};
    // Account: two attempts, then 429 even from another address.
    EXPECT_EQ(client.Post(kSignIn, Body("victim@test.com", "guess-1"), from_a).status, 400);
    EXPECT_EQ(client.Post(kSignIn, Body("victim@test.com", "guess-2"), from_a).status, 400);
    auto refused = client.Post(kSignIn, Body("victim@test.com", "guess-3"), from_b);
    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.Json()["errors"][0]["message"], "Too many requests, please retry later");
    EXPECT_EQ(refused.Header("retry-after").value_or(""), "60");
    // Address A has spent two of its three; the third goes, the fourth is refused, whatever
    // the account; address B (its last X-Forwarded-For entry) is not affected.
    EXPECT_EQ(client.Post(kSignUp, Body("new@test.com", "password"), from_a).status, 201);
    EXPECT_EQ(client.Post(kSignIn, Body("other@test.com", "password"), from_a).status, 429);
    EXPECT_EQ(client.Post(kSignIn, Body("other@test.com", "password"), from_b).status, 400);
    // A second later address A may try again.
    clock_.Advance(1s);
    EXPECT_EQ(client.Post(kSignIn, Body("other@test.com", "password"), from_a).status, 400);
}

// ---- currentuser ----

TEST_P(AuthApiTest, CurrentUserWithCookieReturnsThePayload) {
    std::string cookie = SignUpCookie();
    auto user = CurrentUser(cookie)["currentUser"];
    EXPECT_EQ(user["email"], "test@test.com");
    EXPECT_TRUE(util::IsValidId(user["id"].get<std::string>()));
    EXPECT_EQ(user["exp"].get<std::int64_t>() - user["iat"].get<std::int64_t>(), 86400);
}

TEST_P(AuthApiTest, CurrentUserWithoutCookieIsNull) {
    EXPECT_EQ(client_->Get(kCurrentUser).Json(), json::parse(R"({"currentUser":null})"));
}

TEST_P(AuthApiTest, CurrentUserWithExpiredTokenIsNull) {
    std::string cookie = SignUpCookie();
    clock_.Advance(86401s);
    EXPECT_TRUE(CurrentUser(cookie)["currentUser"].is_null());
}

TEST_P(AuthApiTest, CurrentUserWithForgedTokenIsNull) {
    std::string forged = auth::SignJwt("5f1a2b3c4d5e6f7a8b9c0d1e",
                                       "test@test.com",
                                       test::SessionKeys().stranger,
                                       clock_.Now(),
                                       86400s);
    EXPECT_TRUE(
        CurrentUser("session=" + auth::SessionCookieValue(forged))["currentUser"].is_null());
}

TEST_P(AuthApiTest, CurrentUserWithAlgNoneTokenIsNull) {
    auto now = util::ToEpochMs(clock_.Now()) / 1000;
    std::string token = Base64Url(R"({"alg":"none","typ":"JWT"})") + "." +
                        Base64Url(json{{"id", "5f1a2b3c4d5e6f7a8b9c0d1e"},
                                       {"email", "test@test.com"},
                                       {"iat", now},
                                       {"exp", now + 3600}}
                                      .dump()) +
                        ".";
    EXPECT_TRUE(CurrentUser("session=" + auth::SessionCookieValue(token))["currentUser"].is_null());
}

// ---- bad input ----

TEST_P(AuthApiTest, MalformedJsonIs400) {
    auto r = client_->Post(kSignUp, R"({"email":"test@test.com","password":)");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Body must be valid JSON");
}

TEST_P(AuthApiTest, NonObjectBodyIs400) {
    auto r = client_->Post(kSignUp, R"(["test@test.com","password"])");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Body must be a JSON object");
}

TEST_P(AuthApiTest, NonStringFieldsFailTheirRules) {
    auto r = client_->Post(kSignUp, R"({"email":12345,"password":true})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"].size(), 2u);
    auto in = client_->Post(kSignIn, R"({"email":"test@test.com","password":{"$ne":null}})");
    EXPECT_EQ(in.status, 400);
    EXPECT_EQ(in.Json()["errors"][0]["message"], "You must supply a password");
}

TEST_P(AuthApiTest, NonJsonContentTypeIs415) {
    auto r = client_->Post(kSignUp,
                           "email=a@b.co&password=password",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 415);
}

TEST_P(AuthApiTest, OneMegabyteBodyIsRefusedAndNothingIsStored) {
    std::string huge = Body("test@test.com", std::string(1100 * 1000, 'x'));
    auto r = client_->Post(kSignUp, huge);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Request body is too large");
    std::string just_under = Body("test@test.com", std::string(1000 * 1000, 'x'));
    auto v = client_->Post(kSignUp, just_under);
    EXPECT_EQ(v.status, 400);  // read, then refused by the password rule
    EXPECT_FALSE(users_->FindByEmail("test@test.com").has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends,
                         AuthApiTest,
                         ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ticketing::auth_service

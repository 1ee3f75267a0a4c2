#include "common/http/request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/errors.hpp"

namespace ticketing::http {
namespace {

Request Make(std::vector<std::pair<std::string, std::string>> headers,
             std::string body = "",
             std::string query = "") {
    return Request(Method::kPost, "/x", std::move(query), std::move(headers), std::move(body));
}

TEST(Request, HeaderIsCaseInsensitive) {
    auto r = Make({{"X-Request-Id", "abc"}});
    EXPECT_EQ(r.Header("x-request-id").value(), "abc");
    EXPECT_FALSE(r.Header("x-other").has_value());
}

TEST(Request, CookieFindsNamedValueAmongSeveral) {
    auto r = Make({{"Cookie", "a=1; session=eyJqd3Qi; b=2"}});
    EXPECT_EQ(r.Cookie("session").value(), "eyJqd3Qi");
    EXPECT_EQ(r.Cookie("b").value(), "2");
    EXPECT_FALSE(r.Cookie("sess").has_value());
}

TEST(Request, CookieAcceptsSeveralCookieHeaders) {
    auto r = Make({{"Cookie", "a=1"}, {"cookie", "session=s"}});
    EXPECT_EQ(r.Cookie("session").value(), "s");
}

TEST(Request, QueryDecodesParameters) {
    auto r = Make({}, "", "limit=10&after=abc%20d&flag");
    EXPECT_EQ(r.Query("limit").value(), "10");
    EXPECT_EQ(r.Query("after").value(), "abc d");
    EXPECT_EQ(r.Query("flag").value(), "");
    EXPECT_FALSE(r.Query("none").has_value());
}

TEST(Request, IsHttpsReadsFirstForwardedProto) {
    EXPECT_TRUE(Make({{"X-Forwarded-Proto", "https"}}).IsHttps());
    EXPECT_TRUE(Make({{"X-Forwarded-Proto", "HTTPS, http"}}).IsHttps());
    EXPECT_FALSE(Make({{"X-Forwarded-Proto", "http, https"}}).IsHttps());
    EXPECT_FALSE(Make({}).IsHttps());
}

TEST(Request, JsonBodyParsesObject) {
    auto r = Make({{"Content-Type", "application/json; charset=utf-8"}}, R"({"title":"x"})");
    EXPECT_EQ(r.JsonBody().at("title"), "x");
}

TEST(Request, JsonBodyOfEmptyBodyIsEmptyObject) {
    auto r = Make({});
    EXPECT_TRUE(r.JsonBody().is_object());
    EXPECT_TRUE(r.JsonBody().empty());
}

TEST(Request, JsonBodyRejectsOtherContentTypeWith415) {
    auto r = Make({{"Content-Type", "text/plain"}}, R"({"a":1})");
    try {
        r.JsonBody();
        FAIL() << "expected 415";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.status(), 415);
    }
}

TEST(Request, JsonBodyRejectsMissingContentTypeWith415) {
    auto r = Make({}, R"({"a":1})");
    EXPECT_THROW(r.JsonBody(), UnsupportedMediaTypeError);
}

TEST(Request, JsonBodyRejectsMalformedJsonWith400) {
    auto r = Make({{"Content-Type", "application/json"}}, R"({"a":)");
    try {
        r.JsonBody();
        FAIL() << "expected 400";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_EQ(e.errors().at(0).message, "Body must be valid JSON");
    }
}

TEST(Request, JsonBodyRejectsNonObjectWith400) {
    for (const char* body : {"[1,2]", "\"text\"", "42", "null"}) {
        auto r = Make({{"Content-Type", "application/json"}}, body);
        EXPECT_THROW(r.JsonBody(), BadRequestError) << body;
    }
}

TEST(Request, SetRequestContextExtractsTraceId) {
    Request r;
    r.SetRequestContext("rid", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_EQ(r.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(r.request_id(), "rid");
}

}  // namespace
}  // namespace ticketing::http

#include "common/http/router.hpp"

#include <gtest/gtest.h>

namespace ticketing::http {
namespace {

Handler Returns(int status) {
    return [status](Request&) { return Response::Empty(status); };
}

TEST(Router, FindMatchesStaticPath) {
    Router router;
    router.Get("/api/tickets", Returns(200));
    auto match = router.Find(Method::kGet, "/api/tickets");
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->route->pattern, "/api/tickets");
}

TEST(Router, FindCapturesNamedParameters) {
    Router router;
    router.Get("/api/orders/:id/items/:item", Returns(200));
    auto match = router.Find(Method::kGet, "/api/orders/abc/items/7");
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->params.at("id"), "abc");
    EXPECT_EQ(match->params.at("item"), "7");
}

TEST(Router, FindIgnoresTrailingSlash) {
    Router router;
    router.Post("/api/users/signup", Returns(201));
    EXPECT_TRUE(router.Find(Method::kPost, "/api/users/signup/").has_value());
}

TEST(Router, FindDistinguishesMethods) {
    Router router;
    router.Get("/api/tickets/:id", Returns(200));
    router.Put("/api/tickets/:id", Returns(200));
    auto put = router.Find(Method::kPut, "/api/tickets/1");
    ASSERT_TRUE(put.has_value());
    EXPECT_EQ(put->route->method, Method::kPut);
    EXPECT_FALSE(router.Find(Method::kDelete, "/api/tickets/1").has_value());
}

TEST(Router, FindRejectsDifferentSegmentCount) {
    Router router;
    router.Get("/api/tickets/:id", Returns(200));
    EXPECT_FALSE(router.Find(Method::kGet, "/api/tickets").has_value());
    EXPECT_FALSE(router.Find(Method::kGet, "/api/tickets/1/extra").has_value());
    EXPECT_FALSE(router.Find(Method::kGet, "/api/ticketsx/1").has_value());
}

TEST(Router, FindPrefersFirstRegisteredRoute) {
    Router router;
    router.Get("/api/users/currentuser", Returns(200));
    router.Get("/api/users/:id", Returns(201));
    auto match = router.Find(Method::kGet, "/api/users/currentuser");
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->route->pattern, "/api/users/currentuser");
}

}  // namespace
}  // namespace ticketing::http

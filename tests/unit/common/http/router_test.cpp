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

// One canonical path form (DESIGN.md section 13): a variant of a rate-limited route that the
// ingress might not recognise must not reach the route either.
TEST(Router, OnlyTheCanonicalPathMatches) {
    Router router;
    router.Post("/api/users/signin", Returns(200));
    EXPECT_TRUE(router.Find(Method::kPost, "/api/users/signin").has_value());
    for (const char* variant : {"/api/users/signin/",
                                "/api/users//signin",
                                "//api/users/signin",
                                "/api/users/./signin",
                                "/api/users/x/../signin",
                                "/api/users/signin/.",
                                "api/users/signin",
                                "/api/users/%73ignin",
                                ""}) {
        EXPECT_FALSE(router.Find(Method::kPost, variant).has_value()) << variant;
        EXPECT_TRUE(router.AllowedMethods(variant).empty()) << variant;
    }
}

TEST(Router, RootPathIsCanonical) {
    Router router;
    router.Get("/", Returns(200));
    EXPECT_TRUE(router.Find(Method::kGet, "/").has_value());
}

TEST(Router, AllowedMethodsListsEveryMethodOfThePath) {
    Router router;
    router.Get("/api/tickets/:id", Returns(200));
    router.Put("/api/tickets/:id", Returns(200));
    router.Get("/api/tickets", Returns(200));
    EXPECT_EQ(router.AllowedMethods("/api/tickets/1"),
              (std::vector<Method>{Method::kGet, Method::kPut}));
    EXPECT_EQ(router.AllowedMethods("/api/tickets"), (std::vector<Method>{Method::kGet}));
    EXPECT_TRUE(router.AllowedMethods("/api/orders").empty());
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

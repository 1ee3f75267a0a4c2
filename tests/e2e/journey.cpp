#include "journey.hpp"

#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

#include "common/testing/process.hpp"

namespace ticketing::test {

using namespace std::chrono_literals;
using nlohmann::json;

User Journey::SignUp() {
    static std::atomic<int> n{0};
    std::string email = "user" + std::to_string(++n) + "@example.com";
    auto r = client_.Post("/api/users/signup",
                          json{{"email", email}, {"password", "password123"}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.Json().value("id", ""), {{"Cookie", CookiePair(r, "session")}}};
}

json Journey::CreateTicket(const User& seller, const std::string& title, double price) {
    auto r = client_.Post("/api/tickets", json{{"title", title}, {"price", price}}.dump(),
                          seller.cookie);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json();
}

bool Journey::Listed(const std::string& ticket_id) {
    auto r = client_.Get("/api/tickets");
    if (r.status != 200) {
        return false;
    }
    for (const auto& t : r.Json()) {
        if (t.value("id", "") == ticket_id) {
            return true;
        }
    }
    return false;
}

HttpResult Journey::OrderWhenKnown(const User& buyer, const std::string& ticket_id) {
    HttpResult r;
    WaitUntil(
        [&] {
            r = client_.Post("/api/orders", json{{"ticketId", ticket_id}}.dump(), buyer.cookie);
            return r.status != 404;
        },
        20s);
    return r;
}

HttpResult Journey::PayWhenKnown(const User& buyer, const std::string& order_id,
                                 const std::string& token) {
    HttpResult r;
    WaitUntil(
        [&] {
            r = client_.Post("/api/payments", json{{"token", token}, {"orderId", order_id}}.dump(),
                             buyer.cookie);
            return r.status != 404;
        },
        20s);
    return r;
}

std::string Journey::OrderStatus(const User& buyer, const std::string& order_id) {
    auto r = client_.Get("/api/orders/" + order_id, buyer.cookie);
    return r.status == 200 ? r.Json().value("status", "") : "";
}

}  // namespace ticketing::test

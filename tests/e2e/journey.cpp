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

void Journey::SellBuyAndPay(const std::string& title, double price) {
    User seller = SignUp();
    User buyer = SignUp();
    std::string ticket_id = CreateTicket(seller, title, price).value("id", "");
    ASSERT_TRUE(Listed(ticket_id));

    auto order = OrderWhenKnown(buyer, ticket_id);
    ASSERT_EQ(order.status, 201) << order.body;
    std::string order_id = order.Json().value("id", "");
    EXPECT_EQ(order.Json()["ticket"].value("price", 0.0), price);

    EXPECT_TRUE(WaitUntil([&] { return !Listed(ticket_id); }, 20s));
    auto edit = client_.Put("/api/tickets/" + ticket_id,
                            json{{"title", "Changed"}, {"price", price + 10}}.dump(),
                            seller.cookie);
    EXPECT_EQ(edit.status, 400) << edit.body;
    EXPECT_EQ(edit.body, R"({"errors":[{"message":"Cannot edit a reserved ticket"}]})");

    HttpResult paid = PayWhenKnown(buyer, order_id);
    ASSERT_EQ(paid.status, 201) << paid.body;
    EXPECT_EQ(paid.Json().value("orderId", ""), order_id);
    EXPECT_TRUE(paid.Json().value("stripeId", "").starts_with("ch_"));

    EXPECT_TRUE(WaitUntil([&] { return OrderStatus(buyer, order_id) == "complete"; }, 20s));
    // Sold: the ticket stays reserved and hidden.
    EXPECT_FALSE(Listed(ticket_id));

    // Authorised at the payment, captured once the order completed: the buyer sees it, in
    // integer cents; the seller may not look.
    const std::string payment_path = "/api/payments/" + paid.Json().value("id", "");
    HttpResult shown;
    EXPECT_TRUE(WaitUntil(
        [&] {
            shown = client_.Get(payment_path, buyer.cookie);
            return shown.status == 200 && shown.Json().value("status", "") == "captured";
        },
        20s))
        << shown.status << " " << shown.body;
    EXPECT_EQ(shown.Json().value("orderId", ""), order_id);
    EXPECT_EQ(shown.Json().value("amount", -1), static_cast<int>(price * 100 + 0.5));
    EXPECT_EQ(client_.Get(payment_path, seller.cookie).status, 401);
}

void Journey::OrderExpiresAndTheTicketSellsAgain(const std::string& title,
                                                 std::chrono::seconds window) {
    User seller = SignUp();
    User buyer = SignUp();
    std::string ticket_id = CreateTicket(seller, title, 35.5).value("id", "");
    auto order = OrderWhenKnown(buyer, ticket_id);
    ASSERT_EQ(order.status, 201) << order.body;
    std::string order_id = order.Json().value("id", "");
    EXPECT_TRUE(WaitUntil([&] { return !Listed(ticket_id); }, 20s));

    EXPECT_TRUE(
        WaitUntil([&] { return OrderStatus(buyer, order_id) == "cancelled"; }, window + 30s));
    EXPECT_TRUE(WaitUntil([&] { return Listed(ticket_id); }, 20s));

    auto again = client_.Post("/api/orders", json{{"ticketId", ticket_id}}.dump(), buyer.cookie);
    EXPECT_EQ(again.status, 201) << again.body;
}

}  // namespace ticketing::test

// AppendOrderJson writes an order's JSON directly (issue 20: the answers of POST /api/orders,
// GET /api/orders and GET /api/orders/:id); it must give exactly the text nlohmann gave for
// ToJson, which the API had before.
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::orders {
namespace {

std::string Dumped(const Order& o) {
    return ToJson(o).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Appended(const Order& o) {
    std::string out;
    AppendOrderJson(out, o);
    return out;
}

Order AnOrder() {
    Order o;
    o.id = "6650f0a1b2c3d4e5f6a7b8c9";
    o.user_id = "6650f0a1b2c3d4e5f6a7b8ca";
    o.status = events::OrderStatus::kAwaitingPayment;
    o.expires_at = util::TimePoint(std::chrono::milliseconds(1'790'000'000'123));
    o.version = 2;
    o.ticket.id = "6650f0a1b2c3d4e5f6a7b8cb";
    o.ticket.title = "Concert";
    o.ticket.price = 2050;
    o.ticket.version = 1;
    return o;
}

TEST(OrderJsonTest, TheDirectTextIsWhatTheJsonObjectDumped) {
    Order o = AnOrder();
    EXPECT_EQ(Appended(o), Dumped(o));
    for (const auto status : {events::OrderStatus::kCreated,
                              events::OrderStatus::kCancelled,
                              events::OrderStatus::kComplete}) {
        o.status = status;
        EXPECT_EQ(Appended(o), Dumped(o));
    }
    // Titles with what must be escaped or replaced, prices at whole units and powers of ten,
    // versions past 32 bits, times before 1970 and far ahead.
    const std::vector<std::string> titles = {
        "Zürich ✓ 🎫",
        "say \"hi\"",
        "back\\slash",
        "tab\there",
        "line\nbreak",
        std::string("nul\0byte", 8),
        "\x01\x1f\x7f",
        "bad \xc3 utf8 \xff\xfe",
        "",
    };
    const std::vector<util::Cents> prices = {
        1, 5, 10, 99, 100, 101, 2000, 10'000'000, 100'000'000, 123456789};
    for (const auto& title : titles) {
        for (const auto price : prices) {
            o.ticket.title = title;
            o.ticket.price = price;
            o.version = price * 4099;
            o.ticket.version = price * 7;
            EXPECT_EQ(Appended(o), Dumped(o)) << testing::PrintToString(title) << " " << price;
        }
    }
    std::mt19937_64 rng(20);
    for (int i = 0; i < 2000; ++i) {
        std::string title(rng() % 24, '\0');
        for (auto& c : title) {
            c = static_cast<char>(rng() % 256);
        }
        o.ticket.title = title;
        o.ticket.price = static_cast<util::Cents>(rng() % 100'000'000) + 1;
        o.expires_at = util::TimePoint(std::chrono::milliseconds(
            static_cast<std::int64_t>(rng() % 8'000'000'000'000) - 1'000'000'000'000));
        ASSERT_EQ(Appended(o), Dumped(o)) << testing::PrintToString(title);
    }
}

TEST(OrderJsonTest, TheAnswerCarriesTheTextAsJson) {
    const Order o = AnOrder();
    const http::Response r = OrderAnswer(201, o);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, Dumped(o));
}

}  // namespace
}  // namespace ticketing::orders

// AppendTicketJson writes a ticket's JSON directly (issue 20: the answers of GET, the list, POST
// and PUT); it must give exactly the text nlohmann gave for ToJson, which the API had before.
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::tickets {
namespace {

std::string Dumped(const Ticket& t) {
    return ToJson(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Appended(const Ticket& t) {
    std::string out;
    AppendTicketJson(out, t);
    return out;
}

TEST(TicketJsonTest, TheDirectTextIsWhatTheJsonObjectDumped) {
    Ticket t{"5f1a2b3c4d5e6f7a8b9c0d01", "Concert", 2000, "6a1b2c3d4e5f6a7b8c9d0e01",
             std::nullopt, 3, {}, false};
    EXPECT_EQ(Appended(t), Dumped(t));
    t.order_id = "7a1b2c3d4e5f6a7b8c9d0e01";
    EXPECT_EQ(Appended(t), Dumped(t));

    // Titles with what must be escaped or replaced, prices across cents, whole units and the
    // largest ones, versions past 32 bits.
    const std::vector<std::string> titles = {
        "Zürich ✓ 🎫", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak",
        std::string("nul\0byte", 8), "\x01\x1f\x7f", "bad \xc3 utf8 \xff\xfe", "",
    };
    const std::vector<util::Cents> prices = {1, 5, 10, 99, 100, 101, 1234, 2000, 99999,
                                             100000, 123456789, 999999999999};
    for (const auto& title : titles) {
        for (const auto price : prices) {
            t.title = title;
            t.price = price;
            t.version = price * 4099;
            EXPECT_EQ(Appended(t), Dumped(t)) << "title " << testing::PrintToString(title)
                                              << ", price " << price;
        }
    }
    // Random bytes as a title, and random prices.
    std::mt19937_64 rng(20);
    for (int i = 0; i < 2000; ++i) {
        std::string title(rng() % 24, '\0');
        for (auto& c : title) {
            c = static_cast<char>(rng() % 256);
        }
        t.title = title;
        t.price = static_cast<util::Cents>(rng() % 100'000'000) + 1;
        ASSERT_EQ(Appended(t), Dumped(t)) << "title " << testing::PrintToString(title)
                                          << ", price " << t.price;
    }
}

}  // namespace
}  // namespace ticketing::tickets

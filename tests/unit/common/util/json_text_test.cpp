// util's JSON text must be nlohmann's dump of the same value, byte for byte: the answers and
// events written with it (issue 20) had been dumped by nlohmann before. Numbers: every amount in
// cents up to 2000 dollars as the API shows it, whole amounts at every power of ten (100000 is
// "100000.0" to nlohmann, "1e+05" to std::to_chars), the small, large and signed ends of each
// layout, and random amounts (seeded).
#include "common/util/json_text.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/util/money.hpp"

namespace ticketing::util {
namespace {

std::string Dumped(double v) {
    return nlohmann::json(v).dump();
}

std::string Appended(double v) {
    std::string out;
    AppendJsonNumber(out, v);
    return out;
}

TEST(JsonText, EveryAmountIsWrittenAsNlohmannWritesIt) {
    for (Cents c = 0; c <= 200'000; ++c) {
        const double v = CentsToJsonNumber(c);
        ASSERT_EQ(Appended(v), Dumped(v)) << c << " cents";
    }
    for (Cents c = 1; c <= 1'000'000'000'000'000; c *= 10) {
        for (const Cents m : {Cents{1}, Cents{2}, Cents{5}, Cents{7}, Cents{9}}) {
            const double v = CentsToJsonNumber(c * m);
            EXPECT_EQ(Appended(v), Dumped(v)) << c * m << " cents";
        }
    }
}

TEST(JsonText, EveryLayoutOfADoubleIsNlohmanns) {
    for (const double v : {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.5,
                           0.1,
                           0.0001,
                           0.00001,
                           0.000123,
                           1e-5,
                           1.5e-7,
                           123456789012345.0,
                           1234567890123456.0,
                           1e15,
                           1e16,
                           1e17,
                           1.25e20,
                           -2.5e-300,
                           5e-324,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::min(),
                           100000.0,
                           1e6,
                           -1e6,
                           20.1,
                           0.30000000000000004}) {
        EXPECT_EQ(Appended(v), Dumped(v)) << v;
    }
    EXPECT_EQ(Appended(std::nan("")), "null");
    EXPECT_EQ(Appended(std::numeric_limits<double>::infinity()), "null");

    // Random amounts in cents up to ten billion dollars. (Every amount up to the largest price,
    // 1e8 cents, was compared once offline: none differs. Doubles of many significant digits
    // may: nlohmann's Grisu2 is not always shortest, and prints, e.g., 47870.427587699996 where
    // std::to_chars prints 47870.4275877; either reads back as the same double.)
    std::mt19937_64 rng(20);
    for (int i = 0; i < 20'000; ++i) {
        const double v = CentsToJsonNumber(static_cast<Cents>(rng() % 1'000'000'000'000));
        ASSERT_EQ(Appended(v), Dumped(v)) << v;
    }
}

TEST(JsonText, IntegersAndStringsAreNlohmanns) {
    for (const std::int64_t v : {std::int64_t{0},
                                 std::int64_t{-1},
                                 std::int64_t{42},
                                 std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::min()}) {
        std::string out;
        AppendJsonNumber(out, v);
        EXPECT_EQ(out, nlohmann::json(v).dump());
    }
    for (const std::string s : {"plain",
                                "quote \" and \\ backslash",
                                "tab\t",
                                "caf\xc3\xa9",
                                "bad \xff utf-8",
                                "\x7f",
                                ""}) {
        std::string out;
        AppendJsonString(out, s);
        EXPECT_EQ(out,
                  nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            << s;
    }
}

}  // namespace
}  // namespace ticketing::util

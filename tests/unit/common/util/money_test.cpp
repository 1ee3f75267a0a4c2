#include "common/util/money.hpp"

#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ticketing::util {
namespace {

using nlohmann::json;

// The price a client sends, parsed from JSON text as the server reads bodies.
PriceParseResult ParseBodyPrice(const char* json_text) {
    return ParsePrice(json::parse(json_text));
}

void ExpectCents(const PriceParseResult& result, Cents cents) {
    ASSERT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(*result.cents, cents);
    EXPECT_TRUE(result.error.empty());
}

void ExpectError(const PriceParseResult& result, std::string_view message) {
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error, message);
}

TEST(CentsToJsonNumber, ConvertsCentsToDollars) {
    EXPECT_DOUBLE_EQ(CentsToJsonNumber(2050), 20.5);
    EXPECT_EQ(json(CentsToJsonNumber(2010)).dump(), "20.1");
    EXPECT_EQ(json(CentsToJsonNumber(2000)).dump(), "20.0");
    EXPECT_EQ(json(CentsToJsonNumber(100'000'000)).dump(), "1000000.0");
}

TEST(CentsToJsonNumber, RoundTripsEveryCentThroughParsePrice) {
    for (Cents cents = 1; cents <= 100'000; ++cents) {
        const auto result = ParsePrice(json::parse(json(CentsToJsonNumber(cents)).dump()));
        ASSERT_TRUE(result.ok()) << cents;
        ASSERT_EQ(*result.cents, cents);
    }
    for (Cents cents = kMaxPriceCents - 10'000; cents <= kMaxPriceCents; ++cents) {
        const auto result = ParsePrice(json(CentsToJsonNumber(cents)));
        ASSERT_TRUE(result.ok()) << cents;
        ASSERT_EQ(*result.cents, cents);
    }
}

TEST(ParsePrice, AcceptsIntegerDollars) {
    ExpectCents(ParseBodyPrice("20"), 2000);
}

TEST(ParsePrice, AcceptsDecimalNumbersExactly) {
    ExpectCents(ParseBodyPrice("20.1"), 2010);
    ExpectCents(ParseBodyPrice("0.1"), 10);
    ExpectCents(ParseBodyPrice("0.01"), 1);
    ExpectCents(ParseBodyPrice("19.99"), 1999);
    ExpectCents(ParseBodyPrice("20.10"), 2010);
}

TEST(ParsePrice, AcceptsExponentForms) {
    ExpectCents(ParseBodyPrice("1e2"), 10000);
    ExpectCents(ParseBodyPrice("1.5e-1"), 15);
    ExpectCents(ParseBodyPrice("1E+6"), 100'000'000);
}

TEST(ParsePrice, AcceptsNumericStrings) {
    ExpectCents(ParseBodyPrice(R"("20.00")"), 2000);
    ExpectCents(ParseBodyPrice(R"("20")"), 2000);
    ExpectCents(ParseBodyPrice(R"("0.5")"), 50);
    ExpectCents(ParseBodyPrice(R"("020.10")"), 2010);
}

TEST(ParsePrice, AcceptsTheMaximum) {
    ExpectCents(ParseBodyPrice("1000000"), 100'000'000);
    ExpectCents(ParseBodyPrice("1000000.00"), 100'000'000);
    ExpectCents(ParseBodyPrice(R"("1000000.00")"), 100'000'000);
}

TEST(ParsePrice, RejectsZeroAndNegative) {
    for (const char* text : {"0", "0.0", "-0", "-1", "-20.5", "-1e2", R"("0")", R"("0.00")"}) {
        ExpectError(ParseBodyPrice(text), kPriceNotPositiveMessage);
    }
}

TEST(ParsePrice, RejectsNonNumbers) {
    for (const char* text : {"true",
                             "false",
                             "null",
                             "{}",
                             R"({"amount": 20})",
                             "[20]",
                             R"("abc")",
                             R"("")",
                             R"(" 20")",
                             R"("20 ")",
                             R"("-5")",
                             R"("+5")",
                             R"("1e2")",
                             R"("20.")",
                             R"(".5")",
                             R"("20,00")",
                             R"("NaN")",
                             R"("Infinity")"}) {
        ExpectError(ParseBodyPrice(text), kPriceNotPositiveMessage);
    }
}

TEST(ParsePrice, RejectsNonFiniteNumbers) {
    ExpectError(ParsePrice(json(std::numeric_limits<double>::quiet_NaN())),
                kPriceNotPositiveMessage);
    ExpectError(ParsePrice(json(std::numeric_limits<double>::infinity())),
                kPriceNotPositiveMessage);
}

TEST(ParsePrice, RejectsMissingValue) {
    ExpectError(ParsePrice(json()), kPriceNotPositiveMessage);
}

TEST(ParsePrice, RejectsMoreThanTwoDecimals) {
    ExpectError(ParseBodyPrice("10.123"), kPriceDecimalsMessage);
    ExpectError(ParseBodyPrice("0.001"), kPriceDecimalsMessage);
    ExpectError(ParseBodyPrice(R"("10.123")"), kPriceDecimalsMessage);
    ExpectError(ParseBodyPrice("1e-3"), kPriceDecimalsMessage);
}

TEST(ParsePrice, RejectsFloatingPointNoise) {
    ExpectError(ParsePrice(json(0.1 + 0.2)), kPriceDecimalsMessage);
}

TEST(ParsePrice, RejectsAboveTheMaximum) {
    ExpectError(ParseBodyPrice("1000000.01"), kPriceTooLargeMessage);
    ExpectError(ParseBodyPrice("1000001"), kPriceTooLargeMessage);
    ExpectError(ParseBodyPrice("1e7"), kPriceTooLargeMessage);
    ExpectError(ParseBodyPrice("18446744073709551615"), kPriceTooLargeMessage);
    ExpectError(ParseBodyPrice(R"("1000000.01")"), kPriceTooLargeMessage);
    ExpectError(ParseBodyPrice(R"("99999999999999999999999999")"), kPriceTooLargeMessage);
}

TEST(ParsePriceText, HandlesExtremeExponentsWithoutOverflow) {
    ExpectError(ParsePriceText("1e999999999999999999999"), kPriceTooLargeMessage);
    ExpectError(ParsePriceText("1e-999999999999999999999"), kPriceDecimalsMessage);
    ExpectCents(ParsePriceText("12.3e-1"), 123);
    ExpectCents(ParsePriceText("0.000000000000000000000000001e27"), 100);
}

TEST(ParsePriceText, RejectsMalformedText) {
    for (const char* text : {"", "-", ".", "1.", "1e", "1e+", "--1", "1..2", "0x10", "1 "}) {
        ExpectError(ParsePriceText(text), kPriceNotPositiveMessage);
    }
}

}  // namespace
}  // namespace ticketing::util

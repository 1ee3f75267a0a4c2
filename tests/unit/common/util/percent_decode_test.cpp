#include "common/util/percent_decode.hpp"

#include <gtest/gtest.h>

namespace ticketing::util {
namespace {

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
    EXPECT_EQ(PercentDecode("p%40ss%2fw%2Ford"), "p@ss/w/ord");
    EXPECT_EQ(PercentDecode("%00%7e%FF"), std::string("\0~\xff", 3));
    EXPECT_EQ(PercentDecode(""), "");
}

TEST(PercentDecode, KeepsPlusAsItself) {
    EXPECT_EQ(PercentDecode("a+b"), "a+b");
}

TEST(PercentDecode, RefusesATruncatedOrNonHexEscape) {
    EXPECT_EQ(PercentDecode("50%"), std::nullopt);
    EXPECT_EQ(PercentDecode("abc%4"), std::nullopt);
    EXPECT_EQ(PercentDecode("%g1"), std::nullopt);
    EXPECT_EQ(PercentDecode("%1g"), std::nullopt);
}

TEST(FormDecode, TurnsPlusIntoASpaceAndDecodesEscapes) {
    EXPECT_EQ(FormDecode("a+b%20c%2Bd"), "a b c+d");
}

TEST(FormDecode, KeepsAMalformedEscapeAsWritten) {
    EXPECT_EQ(FormDecode("100%"), "100%");
    EXPECT_EQ(FormDecode("%4"), "%4");
    EXPECT_EQ(FormDecode("%zz%41"), "%zzA");
}

}  // namespace
}  // namespace ticketing::util

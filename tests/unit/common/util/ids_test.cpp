#include "common/util/ids.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/testing/fake_clock.hpp"

namespace ticketing::util {
namespace {

std::uint32_t CounterOf(const std::string& id) {
    return static_cast<std::uint32_t>(std::stoul(id.substr(18), nullptr, 16));
}

TEST(ObjectIdGenerator, LaysOutSecondsRandomBytesAndCounter) {
    const test::FakeClock clock;  // 2026-11-22T10:00:00Z = 1795341600 s = 0x6b02bd20
    ObjectIdGenerator ids(clock, {0x01, 0x23, 0x45, 0x67, 0x89}, 0xabcdef);

    const std::string id = ids.NewId();

    EXPECT_EQ(id,
              "6b02bd20"
              "0123456789"
              "abcdef");
}

TEST(ObjectIdGenerator, TakesTimestampFromClock) {
    test::FakeClock clock;
    ObjectIdGenerator ids(clock);
    clock.Advance(std::chrono::seconds(1));

    const std::string id = ids.NewId();

    EXPECT_EQ(id.substr(0, 8), "6b02bd21");
}

TEST(ObjectIdGenerator, IncrementsCounter) {
    const test::FakeClock clock;
    ObjectIdGenerator ids(clock);

    const std::string first = ids.NewId();
    const std::string second = ids.NewId();

    EXPECT_EQ(first.substr(0, 18), second.substr(0, 18));
    EXPECT_EQ(CounterOf(second), (CounterOf(first) + 1) & 0xFFFFFFU);
}

TEST(ObjectIdGenerator, WrapsCounterAtTwentyFourBits) {
    const test::FakeClock clock;
    ObjectIdGenerator ids(clock, {0, 0, 0, 0, 0}, 0xFFFFFF);

    const std::string last = ids.NewId();
    const std::string wrapped = ids.NewId();

    EXPECT_EQ(last.substr(18), "ffffff");
    EXPECT_EQ(wrapped.substr(18), "000000");
}

TEST(ObjectIdGenerator, ProducesValidIds) {
    const test::FakeClock clock;
    ObjectIdGenerator ids(clock);

    EXPECT_TRUE(IsValidId(ids.NewId()));
}

TEST(ObjectIdGenerator, GivesDistinctGeneratorsDistinctRandomBytes) {
    const test::FakeClock clock;
    ObjectIdGenerator a(clock);
    ObjectIdGenerator b(clock);

    EXPECT_NE(a.NewId().substr(8, 10), b.NewId().substr(8, 10));
}

TEST(IsValidId, AcceptsTwentyFourLowercaseHex) {
    EXPECT_TRUE(IsValidId("0123456789abcdef01234567"));
}

TEST(IsValidId, RejectsWrongLengthCaseOrCharacters) {
    EXPECT_FALSE(IsValidId(""));
    EXPECT_FALSE(IsValidId("0123456789abcdef0123456"));    // 23
    EXPECT_FALSE(IsValidId("0123456789abcdef012345678"));  // 25
    EXPECT_FALSE(IsValidId("0123456789ABCDEF01234567"));   // uppercase
    EXPECT_FALSE(IsValidId("0123456789abcdeg01234567"));   // non-hex
    EXPECT_FALSE(IsValidId("0123456789abcdef 1234567"));
    EXPECT_FALSE(
        IsValidId(std::string_view("0123456789abcdef\0"
                                   "1234567",
                                   24)));
}

TEST(RandomHex, ReturnsTwoLowercaseHexCharsPerByte) {
    const std::string hex = RandomHex(16);

    EXPECT_EQ(hex.size(), 32U);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(RandomHex(16), hex);
}

TEST(RandomHex, ReturnsEmptyForZeroBytes) {
    EXPECT_EQ(RandomHex(0), "");
}

}  // namespace
}  // namespace ticketing::util

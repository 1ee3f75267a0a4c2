#include "common/util/clock.hpp"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.hpp"

namespace ticketing::util {
namespace {

using std::chrono::milliseconds;

TEST(FormatIso8601, WritesUtcWithMilliseconds) {
    const test::FakeClock clock;

    EXPECT_EQ(FormatIso8601(clock.Now()), "2026-11-22T10:00:00.000Z");
}

TEST(FormatIso8601, KeepsMillisecondsAndDropsFinerParts) {
    const TimePoint t = FromEpochMs(1'795'341'600'123) + std::chrono::microseconds(999);

    EXPECT_EQ(FormatIso8601(t), "2026-11-22T10:00:00.123Z");
}

TEST(FormatIso8601, WritesTimesBeforeTheEpoch) {
    EXPECT_EQ(FormatIso8601(FromEpochMs(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(FormatIso8601, PadsEveryFieldWithZeros) {
    // 2001-02-03T04:05:06.007Z: every field but the year a single digit.
    EXPECT_EQ(FormatIso8601(FromEpochMs(981'173'106'007)), "2001-02-03T04:05:06.007Z");
    EXPECT_EQ(FormatIso8601(FromEpochMs(0)), "1970-01-01T00:00:00.000Z");
}

TEST(ParseIso8601, RoundTripsFormattedTimes) {
    const TimePoint t = FromEpochMs(1'795'341'600'000 + 86'399'999);

    const auto parsed = ParseIso8601(FormatIso8601(t));

    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(ToEpochMs(*parsed), ToEpochMs(t));
}

TEST(ParseIso8601, AcceptsTimesWithoutMilliseconds) {
    const auto parsed = ParseIso8601("2026-11-22T10:00:00Z");

    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(ToEpochMs(*parsed), 1'795'341'600'000);
}

TEST(ParseIso8601, AcceptsShortAndLongFractions) {
    const auto tenth = ParseIso8601("2026-11-22T10:00:00.5Z");
    const auto micros = ParseIso8601("2026-11-22T10:00:00.123456Z");

    ASSERT_TRUE(tenth.has_value());
    ASSERT_TRUE(micros.has_value());
    EXPECT_EQ(ToEpochMs(*tenth), 1'795'341'600'500);
    EXPECT_EQ(ToEpochMs(*micros), 1'795'341'600'123);
}

TEST(ParseIso8601, AcceptsLeapDay) {
    EXPECT_TRUE(ParseIso8601("2028-02-29T00:00:00.000Z").has_value());
}

TEST(ParseIso8601, RejectsGarbage) {
    for (const char* text : {"",
                             "garbage",
                             "2026-11-22",
                             "2026-11-22T10:00:00",
                             "2026-11-22T10:00:00.000",
                             "2026-11-22 10:00:00.000Z",
                             "2026-11-22t10:00:00.000z",
                             "2026-11-22T10:00:00.000+00:00",
                             "2026-11-22T10:00:00.Z",
                             "2026-11-22T10:00:00.0000000000Z",
                             "2026-11-22T10:00:00.000Z ",
                             " 2026-11-22T10:00:00.000Z",
                             "2026-13-01T10:00:00.000Z",
                             "2026-02-29T10:00:00.000Z",
                             "2026-11-31T10:00:00.000Z",
                             "2026-11-22T24:00:00.000Z",
                             "2026-11-22T10:60:00.000Z",
                             "2026-11-22T10:00:60.000Z",
                             "+2026-11-22T10:00:00.000Z",
                             "2026-1-22T10:00:00.000Z",
                             "9999-12-31T23:59:59.999Z"}) {
        EXPECT_FALSE(ParseIso8601(text).has_value()) << text;
    }
}

TEST(EpochMs, RoundTripsAndFloorsNegativeTimes) {
    EXPECT_EQ(ToEpochMs(FromEpochMs(1'795'341'600'123)), 1'795'341'600'123);
    EXPECT_EQ(ToEpochMs(TimePoint(std::chrono::microseconds(-1))), -1);
}

}  // namespace
}  // namespace ticketing::util

// The load tool's small parsers and its task counter.
#include "support.hpp"

#include <gtest/gtest.h>

namespace ticketing::load {
namespace {

TEST(ParseIsoMillis, ReadsTheServicesFormat) {
    EXPECT_EQ(ParseIsoMillis("1970-01-01T00:00:01.250Z"), 1250);
    EXPECT_EQ(ParseIsoMillis("2026-11-22T10:00:00.000Z"), 1795341600000);
}

TEST(ParseIsoMillis, RejectsAnythingElse) {
    EXPECT_EQ(ParseIsoMillis(""), std::nullopt);
    EXPECT_EQ(ParseIsoMillis("2026-11-22T10:00:00Z"), std::nullopt);
    EXPECT_EQ(ParseIsoMillis("2026-13-22T10:00:00.000Z"), std::nullopt);
    EXPECT_EQ(ParseIsoMillis("2026-11-22 10:00:00.000Z"), std::nullopt);
    EXPECT_EQ(ParseIsoMillis("2026-11-22T10:0x:00.000Z"), std::nullopt);
}

TEST(IdJustBefore, IsTheLastIdOfTheSecondBefore) {
    EXPECT_EQ(IdJustBefore("65a0b1c2d3e4f5a6b7c8d9e0"), "65a0b1c1ffffffffffffffff");
}

TEST(IdJustBefore, IsEmptyForAMalformedId) {
    EXPECT_EQ(IdJustBefore(""), "");
    EXPECT_EQ(IdJustBefore("65A0B1C2D3E4F5A6B7C8D9E0"), "");
    EXPECT_EQ(IdJustBefore("65a0b1c2"), "");
}

TEST(StringField, IsEmptyUnlessAStringFieldOfAnObject) {
    auto j = nlohmann::json::parse(R"({"id":"abc","version":2})");
    EXPECT_EQ(StringField(j, "id"), "abc");
    EXPECT_EQ(StringField(j, "version"), "");
    EXPECT_EQ(StringField(j, "missing"), "");
    EXPECT_EQ(StringField(nlohmann::json(), "id"), "");
    EXPECT_EQ(StringField(nlohmann::json::array(), "id"), "");
}

TEST(NumberField, ReadsNumbersAndIntegers) {
    auto j = nlohmann::json::parse(R"({"price":15.5,"version":2,"title":"x"})");
    EXPECT_EQ(NumberField(j, "price"), 15.5);
    EXPECT_EQ(IntField(j, "version"), 2);
    EXPECT_EQ(IntField(j, "price"), std::nullopt);
    EXPECT_EQ(NumberField(j, "title"), std::nullopt);
    EXPECT_EQ(IntField(nlohmann::json(), "version"), std::nullopt);
}

TEST(TaskCounter, HandsOutTheTotal) {
    TaskCounter tasks(3, std::nullopt);
    EXPECT_EQ(tasks.Next(), 0);
    EXPECT_EQ(tasks.Next(), 1);
    EXPECT_EQ(tasks.Next(), 2);
    EXPECT_EQ(tasks.Next(), std::nullopt);
}

TEST(TaskCounter, WithADurationIgnoresTheTotalUntilItHasPassed) {
    TaskCounter open(1, 3600.0);
    EXPECT_EQ(open.Next(), 0);
    EXPECT_EQ(open.Next(), 1);
    TaskCounter over(100, 0.0);
    EXPECT_EQ(over.Next(), std::nullopt);
}

TEST(UniqueEmail, DiffersByRoleAndNumber) {
    EXPECT_NE(UniqueEmail("occ", 1), UniqueEmail("occ", 2));
    EXPECT_NE(UniqueEmail("occ", 1), UniqueEmail("buyer", 1));
    EXPECT_TRUE(UniqueEmail("occ", 1).ends_with("@example.com"));
}

}  // namespace
}  // namespace ticketing::load

// ParsePageRequest: the ?limit, ?before and ?after parameters of GET /api/tickets.
#include <gtest/gtest.h>

#include "common/http/errors.hpp"

#include "handlers/page_request.hpp"

namespace ticketing::tickets {
namespace {

constexpr auto kNone = std::nullopt;

// The course's parameters: ?limit and ?after.
PageRequest Parse(const std::optional<std::string>& limit,
                  const std::optional<std::string>& after) {
    return ParsePageRequest(limit, kNone, after);
}

std::vector<http::FieldError> ErrorsOf(const std::optional<std::string>& limit,
                                       const std::optional<std::string>& after,
                                       const std::optional<std::string>& before = kNone) {
    try {
        ParsePageRequest(limit, before, after);
    } catch (const http::ValidationError& e) {
        return e.errors();
    }
    return {};
}

TEST(ParsePageRequest, DefaultsToTheNewestThousand) {
    EXPECT_EQ(Parse(std::nullopt, std::nullopt), (PageRequest{1000, false, "", ""}));
}

TEST(ParsePageRequest, BeforeContinuesNewestFirstAndAfterAsksOldestFirst) {
    EXPECT_EQ(ParsePageRequest("10", "5f1a2b3c4d5e6f7a8b9c0dff", kNone),
              (PageRequest{10, false, "", "5f1a2b3c4d5e6f7a8b9c0dff"}));
    EXPECT_EQ(Parse(kNone, "").oldest_first, true);  // ?after= : oldest first from the start
    EXPECT_EQ(ParsePageRequest(kNone, "", kNone).oldest_first, false);
}

TEST(ParsePageRequest, RejectsAMalformedBeforeOrBothCursors) {
    EXPECT_EQ(ErrorsOf(kNone, kNone, "zz"),
              (std::vector<http::FieldError>{{"Before must be a ticket id", "before"}}));
    EXPECT_EQ(ErrorsOf(kNone, "5f1a2b3c4d5e6f7a8b9c0dff", "5f1a2b3c4d5e6f7a8b9c0d00"),
              (std::vector<http::FieldError>{{"Use either before or after, not both", "before"}}));
}

TEST(ParsePageRequest, AcceptsLimitsFromOneToAThousand) {
    EXPECT_EQ(Parse("1", std::nullopt).limit, 1u);
    EXPECT_EQ(Parse("1000", std::nullopt).limit, 1000u);
    EXPECT_EQ(Parse("0050", std::nullopt).limit, 50u);
}

TEST(ParsePageRequest, RejectsLimitsOutOfRangeOrNotDecimal) {
    for (const char* bad : {"0",
                            "1001",
                            "",
                            "-1",
                            "+5",
                            " 5",
                            "5 ",
                            "1e2",
                            "2.5",
                            "abc",
                            "99999999999999999999999"}) {
        EXPECT_EQ(ErrorsOf(bad, std::nullopt),
                  (std::vector<http::FieldError>{{"Limit must be between 1 and 1000", "limit"}}))
            << bad;
    }
}

TEST(ParsePageRequest, TakesAWellFormedAfterIdEvenIfUnknown) {
    EXPECT_EQ(Parse(std::nullopt, "5f1a2b3c4d5e6f7a8b9c0dff").after, "5f1a2b3c4d5e6f7a8b9c0dff");
    EXPECT_EQ(Parse(std::nullopt, "").after, "");
}

TEST(ParsePageRequest, RejectsAMalformedAfterAndReportsBothFields) {
    EXPECT_EQ(ErrorsOf("0", "5F1A2B3C4D5E6F7A8B9C0DFF"),
              (std::vector<http::FieldError>{{"Limit must be between 1 and 1000", "limit"},
                                             {"After must be a ticket id", "after"}}));
}

}  // namespace
}  // namespace ticketing::tickets

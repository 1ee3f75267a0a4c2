// ParsePageRequest: the ?limit and ?after parameters of GET /api/tickets.
#include "domain/page.hpp"

#include <gtest/gtest.h>

#include "common/http/errors.hpp"

namespace ticketing::tickets {
namespace {

std::vector<http::FieldError> ErrorsOf(const std::optional<std::string>& limit,
                                       const std::optional<std::string>& after) {
    try {
        ParsePageRequest(limit, after);
    } catch (const http::ValidationError& e) {
        return e.errors();
    }
    return {};
}

TEST(ParsePageRequest, DefaultsToTheFirstThousand) {
    EXPECT_EQ(ParsePageRequest(std::nullopt, std::nullopt), (PageRequest{1000, ""}));
}

TEST(ParsePageRequest, AcceptsLimitsFromOneToAThousand) {
    EXPECT_EQ(ParsePageRequest("1", std::nullopt).limit, 1u);
    EXPECT_EQ(ParsePageRequest("1000", std::nullopt).limit, 1000u);
    EXPECT_EQ(ParsePageRequest("0050", std::nullopt).limit, 50u);
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
    EXPECT_EQ(ParsePageRequest(std::nullopt, "5f1a2b3c4d5e6f7a8b9c0dff").after,
              "5f1a2b3c4d5e6f7a8b9c0dff");
    EXPECT_EQ(ParsePageRequest(std::nullopt, "").after, "");
}

TEST(ParsePageRequest, RejectsAMalformedAfterAndReportsBothFields) {
    EXPECT_EQ(ErrorsOf("0", "5F1A2B3C4D5E6F7A8B9C0DFF"),
              (std::vector<http::FieldError>{{"Limit must be between 1 and 1000", "limit"},
                                             {"After must be a ticket id", "after"}}));
}

}  // namespace
}  // namespace ticketing::tickets

#include "common/validation/validation.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ticketing::validation {
namespace {

using http::FieldError;
using nlohmann::json;

constexpr const char* kEmailMessage = "Email must be valid";
constexpr const char* kPasswordMessage = "Password must be between 8 and 128 characters";

// The errors Check() throws, or none.
std::vector<FieldError> CheckErrors(const Validator& v) {
    try {
        v.Check();
    } catch (const http::ValidationError& e) {
        return e.errors();
    }
    return {};
}

TEST(Validator, CheckPassesWhenEveryRuleHolds) {
    const json body = {{"title", "concert"}, {"price", 20}};
    Validator v(body);

    const std::string title = v.TrimmedString("title", 1, 200, "Title is required");
    const auto price = v.Price("price");

    EXPECT_NO_THROW(v.Check());
    EXPECT_EQ(title, "concert");
    EXPECT_EQ(price, 2000);
}

TEST(Validator, CollectsEveryFailureInRuleOrderWithFields) {
    const json body = {{"title", "   "}, {"price", -5}, {"email", "nope"}};
    Validator v(body);

    v.TrimmedString("title", 1, 200, "Title is required");
    v.Price("price");
    v.Email("email", kEmailMessage);
    v.StringLength("password", 8, 128, kPasswordMessage);

    EXPECT_EQ(CheckErrors(v),
              (std::vector<FieldError>{{"Title is required", "title"},
                                       {"Price must be greater than 0", "price"},
                                       {kEmailMessage, "email"},
                                       {kPasswordMessage, "password"}}));
}

TEST(Validator, FailedRulesReturnEmptyValues) {
    const json body = json::object();
    Validator v(body);

    EXPECT_EQ(v.RequiredString("token", "Token is required"), "");
    EXPECT_EQ(v.Price("price"), std::nullopt);
    EXPECT_FALSE(v.ok());
}

TEST(Validator, WrongTypesFailTheirRuleWithItsMessage) {
    const json body = {{"title", 5},
                       {"email", json::array({"a@b.co"})},
                       {"password", 12345678},
                       {"ticketId", nullptr},
                       {"token", true}};
    Validator v(body);

    v.TrimmedString("title", 1, 200, "Title is required");
    v.Email("email", kEmailMessage);
    v.StringLength("password", 8, 128, kPasswordMessage);
    v.Id("ticketId", "TicketId must be provided");
    v.RequiredString("token", "Token is required");

    EXPECT_EQ(CheckErrors(v),
              (std::vector<FieldError>{{"Title is required", "title"},
                                       {kEmailMessage, "email"},
                                       {kPasswordMessage, "password"},
                                       {"TicketId must be provided", "ticketId"},
                                       {"Token is required", "token"}}));
}

TEST(Validator, TreatsNonObjectBodyAsEmpty) {
    const json body = json::array({1, 2});
    Validator v(body);

    v.RequiredString("token", "Token is required");

    EXPECT_EQ(CheckErrors(v), (std::vector<FieldError>{{"Token is required", "token"}}));
}

TEST(Validator, RequiredStringRejectsBlankAndKeepsValueUntrimmed) {
    const json body = {{"blank", " \t\n"}, {"password", " pass word "}};
    Validator v(body);

    EXPECT_EQ(v.RequiredString("blank", "Blank"), "");
    EXPECT_EQ(v.RequiredString("password", "You must supply a password"), " pass word ");
    EXPECT_EQ(v.errors(), (std::vector<FieldError>{{"Blank", "blank"}}));
}

TEST(Validator, TrimmedStringTrimsAndCountsCharacters) {
    std::string accents;
    for (int i = 0; i < 200; ++i) {
        accents += "\xC3\xA9";  // é, two bytes
    }
    const json body = {{"title", "  concert  "}, {"long", accents}, {"longer", accents + "e"}};
    Validator v(body);

    EXPECT_EQ(v.TrimmedString("title", 1, 200, "Title is required"), "concert");
    EXPECT_EQ(v.TrimmedString("long", 1, 200, "Title is required"), accents);
    EXPECT_EQ(v.TrimmedString("longer", 1, 200, "Title is required"), "");
    EXPECT_EQ(v.errors(), (std::vector<FieldError>{{"Title is required", "longer"}}));
}

TEST(Validator, EmailIsTrimmedAndLowerCased) {
    const json body = {{"email", "  Alice.Smith+tix@Example.COM "}};
    Validator v(body);

    EXPECT_EQ(v.Email("email", kEmailMessage), "alice.smith+tix@example.com");
    EXPECT_TRUE(v.ok());
}

TEST(Validator, EmailAcceptsReasonableAddresses) {
    for (const char* email :
         {"a@b.co", "test@test.com", "first.last@sub.example.org", "user_name-1@my-domain.io"}) {
        const json body = {{"email", email}};
        Validator v(body);

        v.Email("email", kEmailMessage);

        EXPECT_TRUE(v.ok()) << email;
    }
}

TEST(Validator, EmailRejectsMalformedAddresses) {
    // 255 characters, every part within its own limit.
    const std::string too_long = std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                                 std::string(61, 'c') + "." + std::string(63, 'd') + ".com";
    for (const std::string& email : {std::string(""),
                                     std::string("plain"),
                                     std::string("@example.com"),
                                     std::string("a@"),
                                     std::string("a@b"),
                                     std::string("a@b.c"),
                                     std::string("a@@b.com"),
                                     std::string("a@b@c.com"),
                                     std::string("a b@c.com"),
                                     std::string("a@b c.com"),
                                     std::string("a@.com"),
                                     std::string("a@b..com"),
                                     std::string("a@b.com."),
                                     std::string("a@-b.com"),
                                     std::string("a@1.2.3.4"),
                                     std::string("a\n@b.com"),
                                     std::string(65, 'a') + "@b.com",
                                     too_long}) {
        const json body = {{"email", email}};
        Validator v(body);

        v.Email("email", kEmailMessage);

        EXPECT_FALSE(v.ok()) << email;
    }
}

TEST(Validator, EmailAcceptsTheMaximumLength) {
    const std::string longest = std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                                std::string(60, 'c') + "." + std::string(63, 'd') + ".com";
    ASSERT_EQ(longest.size(), 254U);
    const json body = {{"email", longest}};
    Validator v(body);

    EXPECT_EQ(v.Email("email", kEmailMessage), longest);
}

TEST(Validator, StringLengthCountsCodePointsNotBytes) {
    const json body = {{"short", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"},         // 4 chars, 8 bytes
                       {"ok", "\xF0\x9F\x94\x91pass word\xF0\x9F\x94\x91"}};  // 11 chars
    Validator v(body);

    EXPECT_EQ(v.StringLength("short", 8, 128, kPasswordMessage), "");
    EXPECT_EQ(v.StringLength("ok", 8, 128, kPasswordMessage),
              "\xF0\x9F\x94\x91pass word\xF0\x9F\x94\x91");
    EXPECT_EQ(v.errors(), (std::vector<FieldError>{{kPasswordMessage, "short"}}));
}

TEST(Validator, StringLengthEnforcesBothBounds) {
    const json body = {{"min", std::string(8, 'x')},
                       {"max", std::string(128, 'x')},
                       {"under", std::string(7, 'x')},
                       {"over", std::string(129, 'x')}};
    Validator v(body);

    v.StringLength("min", 8, 128, kPasswordMessage);
    v.StringLength("max", 8, 128, kPasswordMessage);
    v.StringLength("under", 8, 128, kPasswordMessage);
    v.StringLength("over", 8, 128, kPasswordMessage);

    EXPECT_EQ(v.errors(),
              (std::vector<FieldError>{{kPasswordMessage, "under"}, {kPasswordMessage, "over"}}));
}

TEST(Validator, PriceUsesMoneyRulesAndMessages) {
    const json body = {{"a", "20.00"}, {"b", 10.123}, {"c", 1000000.01}, {"d", "abc"}};
    Validator v(body);

    EXPECT_EQ(v.Price("a"), 2000);
    v.Price("b");
    v.Price("c");
    v.Price("d");
    v.Price("missing");

    EXPECT_EQ(v.errors(),
              (std::vector<FieldError>{{"Price must have at most 2 decimal places", "b"},
                                       {"Price must be at most 1000000", "c"},
                                       {"Price must be greater than 0", "d"},
                                       {"Price must be greater than 0", "missing"}}));
}

TEST(Validator, IdOnlyChecksPresence) {
    const json body = {{"ticketId", "not-an-object-id"}, {"empty", ""}};
    Validator v(body);

    EXPECT_EQ(v.Id("ticketId", "TicketId must be provided"), "not-an-object-id");
    EXPECT_EQ(v.Id("empty", "TicketId must be provided"), "");
    EXPECT_EQ(v.Id("missing", "TicketId must be provided"), "");
    EXPECT_EQ(v.errors(),
              (std::vector<FieldError>{{"TicketId must be provided", "empty"},
                                       {"TicketId must be provided", "missing"}}));
}

TEST(Validator, FailRecordsCallerRules) {
    const json body = json::object();
    Validator v(body);

    v.Fail("orderId", "OrderId is required");

    EXPECT_EQ(CheckErrors(v), (std::vector<FieldError>{{"OrderId is required", "orderId"}}));
}

TEST(Utf8Length, CountsCodePoints) {
    EXPECT_EQ(Utf8Length(""), 0U);
    EXPECT_EQ(Utf8Length("abc"), 3U);
    EXPECT_EQ(Utf8Length("\xC3\xA9t\xC3\xA9"), 3U);
    EXPECT_EQ(Utf8Length("\xF0\x9F\x8E\xAB"), 1U);
}

}  // namespace
}  // namespace ticketing::validation

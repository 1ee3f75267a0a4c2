#include "common/http/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/db/errors.hpp"
#include "common/domain/errors.hpp"

namespace ticketing::http {
namespace {

TEST(HttpError, BodyListsEveryFieldError) {
    ValidationError e({{"Title is required", "title"}, {"Price must be greater than 0", "price"}});
    auto body = nlohmann::json::parse(e.Body());
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(body, nlohmann::json::parse(R"({"errors":[
        {"message":"Title is required","field":"title"},
        {"message":"Price must be greater than 0","field":"price"}]})"));
}

TEST(HttpError, BodyOmitsFieldForNonValidationErrors) {
    BadRequestError e("Ticket is already reserved");
    EXPECT_EQ(e.Body(), R"({"errors":[{"message":"Ticket is already reserved"}]})");
}

TEST(HttpError, TypedErrorsCarryContractStatuses) {
    EXPECT_EQ(NotAuthorizedError().status(), 401);
    EXPECT_EQ(PaymentRequiredError("Your card was declined.").status(), 402);
    EXPECT_EQ(NotFoundError().status(), 404);
    EXPECT_EQ(ConflictError().status(), 409);
    EXPECT_EQ(PayloadTooLargeError().status(), 413);
    EXPECT_EQ(UnsupportedMediaTypeError().status(), 415);
    EXPECT_EQ(ServiceUnavailableError().status(), 503);
    EXPECT_EQ(NotFoundError().errors().at(0).message, "Not Found");
}

// "<status> <message>" of what the error middleware answers for `e`; "500" when it has no mapping.
std::string Answer(const std::exception& e) {
    auto mapped = ToHttpError(e);
    return mapped ? std::to_string(mapped->status()) + " " + mapped->errors().at(0).message : "500";
}

TEST(ToHttpError, KeepsAnHttpErrorAsItIs) {
    EXPECT_EQ(Answer(BadRequestError("Email in use")), "400 Email in use");
    auto busy = ToHttpError(TooManyRequestsError(std::chrono::seconds(7)));
    ASSERT_TRUE(busy.has_value());
    EXPECT_EQ(busy->retry_after_seconds(), 7);
}

TEST(ToHttpError, MapsDomainErrorsToTheContractsStatusesAndMessages) {
    EXPECT_EQ(Answer(domain::NotFoundError()), "404 Not Found");
    EXPECT_EQ(Answer(domain::NotOwnerError()), "401 Not authorized");
    EXPECT_EQ(Answer(domain::RuleViolation("Cannot edit a reserved ticket")),
              "400 Cannot edit a reserved ticket");
    EXPECT_EQ(Answer(domain::ConflictError()), "409 Conflict, please retry");
    EXPECT_EQ(Answer(domain::DeclinedError("Your card was declined.")),
              "402 Your card was declined.");
    EXPECT_EQ(Answer(domain::UnavailableError("Payment gateway unavailable, please retry")),
              "503 Payment gateway unavailable, please retry");
}

TEST(ToHttpError, MapsAnUnavailableDatabaseTo503WithItsMessage) {
    auto mapped = ToHttpError(db::UnavailableError("Database unavailable"));
    ASSERT_TRUE(mapped.has_value());
    EXPECT_EQ(mapped->status(), 503);
    EXPECT_EQ(mapped->Body(), R"({"errors":[{"message":"Database unavailable"}]})");
    EXPECT_EQ(mapped->retry_after_seconds(), 1);
}

TEST(ToHttpError, LeavesAnyOtherErrorToThe500) {
    EXPECT_EQ(Answer(std::runtime_error("disk on fire")), "500");
    EXPECT_EQ(Answer(std::logic_error("bug")), "500");
}

}  // namespace
}  // namespace ticketing::http

#include "common/http/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace ticketing::http

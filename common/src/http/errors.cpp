#include "common/http/errors.hpp"

#include <nlohmann/json.hpp>

namespace ticketing::http {
namespace {

std::string FirstMessage(const std::vector<FieldError>& errors) {
    return errors.empty() ? std::string("error") : errors.front().message;
}

}  // namespace

HttpError::HttpError(int status, std::vector<FieldError> errors)
    : std::runtime_error(FirstMessage(errors)), status_(status), errors_(std::move(errors)) {}

HttpError::HttpError(int status, const std::string& message)
    : std::runtime_error(message), status_(status), errors_{{message, std::nullopt}} {}

std::string HttpError::Body() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : errors_) {
        nlohmann::json item = {{"message", e.message}};
        if (e.field) {
            item["field"] = *e.field;
        }
        list.push_back(std::move(item));
    }
    return nlohmann::json{{"errors", std::move(list)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ticketing::http

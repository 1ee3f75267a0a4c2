#include "common/http/errors.hpp"

#include <nlohmann/json.hpp>

#include "common/db/errors.hpp"
#include "common/domain/errors.hpp"

namespace ticketing::http {
namespace {

std::string FirstMessage(const std::vector<FieldError>& errors) {
    return errors.empty() ? std::string("error") : errors.front().message;
}

int StatusOf(domain::ErrorKind kind) {
    switch (kind) {
        case domain::ErrorKind::kNotFound:
            return 404;
        case domain::ErrorKind::kNotOwner:
            return 401;
        case domain::ErrorKind::kRuleViolation:
            return 400;
        case domain::ErrorKind::kConflict:
            return 409;
        case domain::ErrorKind::kDeclined:
            return 402;
        case domain::ErrorKind::kUnavailable:
            return 503;
    }
    return 500;
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

std::optional<HttpError> ToHttpError(const std::exception& e) {
    if (const auto* http = dynamic_cast<const HttpError*>(&e)) {
        return *http;
    }
    if (const auto* domain = dynamic_cast<const domain::Error*>(&e)) {
        return HttpError(StatusOf(domain->kind()), domain->what());
    }
    if (dynamic_cast<const db::UnavailableError*>(&e) != nullptr) {
        return HttpError(503, e.what());
    }
    return std::nullopt;
}

}  // namespace ticketing::http

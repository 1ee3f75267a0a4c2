// Typed request errors. Handlers throw them; the server's one error middleware turns them into
// the contract's body {"errors":[{"message": "...", "field": "..."}]} with the status each type
// carries (DESIGN.md section 4). The same middleware maps the errors of the layers below HTTP
// (ToHttpError): domain::Error by its kind and db::UnavailableError to 503. Anything else thrown
// becomes 500 "Something went wrong" with the details only in the log.
// Thread-safety: plain values, safe to copy across threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ticketing::http {

struct FieldError {
    std::string message;
    std::optional<std::string> field;

    bool operator==(const FieldError&) const = default;
};

// Base of every error that maps to a non-500 status.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::vector<FieldError> errors);
    HttpError(int status, const std::string& message);

    int status() const noexcept { return status_; }
    // Seconds a client should wait before retrying; sent as Retry-After with 429 and 503.
    int retry_after_seconds() const noexcept { return retry_after_seconds_; }
    const std::vector<FieldError>& errors() const noexcept { return errors_; }
    // The contract's JSON body: {"errors":[...]}.
    std::string Body() const;

protected:
    void set_retry_after_seconds(int seconds) { retry_after_seconds_ = seconds; }

private:
    int status_;
    std::vector<FieldError> errors_;
    int retry_after_seconds_ = 1;
};

// 400, one entry per failed rule, each with its field.
class ValidationError final : public HttpError {
public:
    explicit ValidationError(std::vector<FieldError> errors) : HttpError(400, std::move(errors)) {}
};

// 400, a business rule ("Ticket is already reserved", "Email in use").
class BadRequestError final : public HttpError {
public:
    explicit BadRequestError(const std::string& message) : HttpError(400, message) {}
};

// 401, not signed in or not the owner.
class NotAuthorizedError final : public HttpError {
public:
    NotAuthorizedError() : HttpError(401, "Not authorized") {}
};

// 402, the payment gateway declined the card; the message is the gateway's.
class PaymentRequiredError final : public HttpError {
public:
    explicit PaymentRequiredError(const std::string& message) : HttpError(402, message) {}
};

// 404, unknown resource or route.
class NotFoundError final : public HttpError {
public:
    NotFoundError() : HttpError(404, "Not Found") {}
};

// 409, an optimistic-concurrency write lost its race and was not retried.
class ConflictError final : public HttpError {
public:
    ConflictError() : HttpError(409, "Conflict, please retry") {}
};

// 413, the body is larger than the server accepts.
class PayloadTooLargeError final : public HttpError {
public:
    PayloadTooLargeError() : HttpError(413, "Request body is too large") {}
};

// 415, a body that is not application/json.
class UnsupportedMediaTypeError final : public HttpError {
public:
    UnsupportedMediaTypeError() : HttpError(415, "Content-Type must be application/json") {}
};

// 429, a client over a rate limit (the ingress's, or auth's own per address and account).
class TooManyRequestsError final : public HttpError {
public:
    explicit TooManyRequestsError(std::chrono::seconds retry_after)
        : HttpError(429, "Too many requests, please retry later") {
        set_retry_after_seconds(static_cast<int>(std::max<std::int64_t>(1, retry_after.count())));
    }
};

// 503, a dependency (bus, Redis, a busy server) is down. Thrown by adapters and handlers; the
// message is generic towards the client, the cause is logged where it happened.
class ServiceUnavailableError final : public HttpError {
public:
    explicit ServiceUnavailableError(const std::string& message = "Service unavailable")
        : HttpError(503, message) {}
};

// The one mapping from what a handler may throw to the answer (the server's error middleware):
// an HttpError as it is; a domain::Error by its kind (common/domain/errors.hpp: 404, 401, 400,
// 409, 402, 503) with its message; db::UnavailableError as 503 with its message. nullopt for
// anything else, which the middleware answers with 500.
std::optional<HttpError> ToHttpError(const std::exception& e);

}  // namespace ticketing::http

// Domain errors: how a service's domain code refuses a request in its own terms, with no HTTP
// type in sight. Services throw them when a request cannot go on (absence inside a repository is
// a value, std::optional; the service decides it is NotFoundError). The one error middleware of
// common/http (http::ToHttpError, used by http::Server) maps each kind to the contract's answer:
//   kNotFound       404 "Not Found"
//   kNotOwner       401 "Not authorized" (the course answers 401, not 403, for another's record)
//   kRuleViolation  400 with the rule's message ("Cannot edit a reserved ticket")
//   kConflict       409 "Conflict, please retry" (an optimistic write lost its races)
//   kDeclined       402 with the other party's message (a card the gateway declined)
//   kUnavailable    503 with the message and Retry-After (a dependency the rule needs is down)
// The message is what() and goes to the client as it is: never put a cause or a secret in it.
// Thread-safety: plain values, safe to copy across threads.
#pragma once

#include <stdexcept>
#include <string>

namespace ticketing::domain {

enum class ErrorKind { kNotFound, kNotOwner, kRuleViolation, kConflict, kDeclined, kUnavailable };

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

class NotFoundError final : public Error {
public:
    NotFoundError() : Error(ErrorKind::kNotFound, "Not Found") {}
};

class NotOwnerError final : public Error {
public:
    NotOwnerError() : Error(ErrorKind::kNotOwner, "Not authorized") {}
};

class RuleViolation final : public Error {
public:
    explicit RuleViolation(const std::string& message)
        : Error(ErrorKind::kRuleViolation, message) {}
};

class ConflictError final : public Error {
public:
    ConflictError() : Error(ErrorKind::kConflict, "Conflict, please retry") {}
};

class DeclinedError final : public Error {
public:
    explicit DeclinedError(const std::string& message) : Error(ErrorKind::kDeclined, message) {}
};

class UnavailableError final : public Error {
public:
    explicit UnavailableError(const std::string& message)
        : Error(ErrorKind::kUnavailable, message) {}
};

}  // namespace ticketing::domain

// db::UnavailableError: the database cannot serve the call right now (connection refused or
// lost, PostgreSQL shutting down, SQLite still locked after the busy timeout, the pool
// exhausted). Raised by db::Database; the cause is logged where it happened and the message is
// generic ("Database unavailable"). The HTTP error middleware answers it with 503 and
// Retry-After; a listener's handler that lets it escape is retried by the subscriber.
// Thread-safety: a plain value.
#pragma once

#include <stdexcept>
#include <string>

namespace ticketing::db {

class UnavailableError final : public std::runtime_error {
public:
    explicit UnavailableError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ticketing::db

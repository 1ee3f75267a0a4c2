// Percent-decoding (RFC 3986 section 2.1): the one decoder for database URLs
// (db::ParseDatabaseUrl), query strings (http::Request::Query) and form bodies
// (test::FakeStripeServer).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ticketing::util {

// Strict: every "%" starts two hex digits (either case); '+' is itself. nullopt when an escape
// is truncated or not hex, for callers that must refuse rather than guess (a database URL).
std::optional<std::string> PercentDecode(std::string_view text);

// application/x-www-form-urlencoded, as browsers and curl send it (query strings, form bodies):
// '+' is a space, and a malformed escape is kept as written rather than refused.
std::string FormDecode(std::string_view text);

}  // namespace ticketing::util

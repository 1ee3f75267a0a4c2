// JSON text appended straight to a string, for the hot paths that used to build an nlohmann
// object only to dump it (every request's log line, a ticket in an answer). What it writes is
// what nlohmann's dump (with invalid UTF-8 replaced) writes for the same value: printable ASCII
// as it is, anything else through nlohmann's own escaping; doubles in their shortest round-trip
// form, with ".0" when whole; NaN and infinities as null.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ticketing::util {

void AppendJsonString(std::string& out, std::string_view value);
void AppendJsonNumber(std::string& out, double value);
void AppendJsonNumber(std::string& out, std::int64_t value);

}  // namespace ticketing::util

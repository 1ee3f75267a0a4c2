// JSON text appended straight to a string, for the hot paths that used to build an nlohmann
// object only to dump it (every request's log line, a ticket in an answer). What it writes is
// what nlohmann's dump (with invalid UTF-8 replaced) writes for the same value: printable ASCII
// as it is, anything else through nlohmann's own escaping; doubles as nlohmann lays them out
// ("100000.0", "0.05", "1e-05", "1.25e+20"), from their shortest round-trip digits: the same
// text as nlohmann's for every amount in cents (tests), while for a double of many significant
// digits the last few may differ (nlohmann's Grisu2 is not always shortest; either reads back as
// the same double); NaN and infinities as null.
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

// Clock: the only source of "now" for logic (STYLE.md: logic never calls system_clock::now()).
// SystemClock is the production implementation; tests use ticketing::test::FakeClock.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ticketing::util {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// Milliseconds since the Unix epoch: how times are stored in the databases.
std::int64_t ToEpochMs(TimePoint t);
TimePoint FromEpochMs(std::int64_t ms);

// ISO-8601 UTC with milliseconds, "2026-11-22T10:00:00.000Z": how times travel in JSON.
std::string FormatIso8601(TimePoint t);
// Accepts the format above (also without milliseconds); nullopt for anything else.
std::optional<TimePoint> ParseIso8601(std::string_view text);

}  // namespace ticketing::util

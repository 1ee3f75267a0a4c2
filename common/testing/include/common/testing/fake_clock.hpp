// FakeClock: a Clock that moves only when a test says so (Advance, Set).
// Thread-safety: safe to read and advance from any thread.
#pragma once

#include <atomic>
#include <chrono>

#include "common/util/clock.hpp"

namespace ticketing::test {

class FakeClock final : public util::Clock {
public:
    // Starts at 2026-11-22T10:00:00.000Z so tests have stable, readable times.
    FakeClock() : FakeClock(util::FromEpochMs(1'795'341'600'000)) {}
    explicit FakeClock(util::TimePoint start) : now_ms_(util::ToEpochMs(start)) {}

    util::TimePoint Now() const override { return util::FromEpochMs(now_ms_.load()); }
    void Set(util::TimePoint t) { now_ms_.store(util::ToEpochMs(t)); }
    template <class Rep, class Period>
    void Advance(std::chrono::duration<Rep, Period> d) {
        now_ms_.fetch_add(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    }

private:
    std::atomic<std::int64_t> now_ms_;
};

}  // namespace ticketing::test

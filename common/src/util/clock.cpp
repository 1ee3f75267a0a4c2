#include "common/util/clock.hpp"

namespace ticketing::util {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::milliseconds;
using std::chrono::sys_days;

// Reads exactly `width` ASCII digits at `pos`; nullopt if any is not a digit.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

bool CharAt(std::string_view text, std::size_t pos, char expected) {
    return pos < text.size() && text[pos] == expected;
}

}  // namespace

std::int64_t ToEpochMs(TimePoint t) {
    return floor<milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromEpochMs(std::int64_t ms) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(milliseconds(ms)));
}

std::string FormatIso8601(TimePoint t) {
    // TimePoint counts nanoseconds in 64 bits, so the year is always within 1677..2262.
    const auto ms_since_epoch = floor<milliseconds>(t.time_since_epoch());
    const auto day = floor<days>(ms_since_epoch);
    const std::chrono::year_month_day ymd{sys_days(day)};
    const std::chrono::hh_mm_ss hms{ms_since_epoch - day};

    // Written digit by digit: snprintf was a quarter of a request's log line (issue 20).
    std::string out = "0000-00-00T00:00:00.000Z";
    const auto put = [&out](std::size_t pos, std::size_t width, long long value) {
        for (std::size_t i = pos + width; i > pos; --i) {
            out[i - 1] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
    };
    put(0, 4, static_cast<int>(ymd.year()));
    put(5, 2, static_cast<unsigned>(ymd.month()));
    put(8, 2, static_cast<unsigned>(ymd.day()));
    put(11, 2, hms.hours().count());
    put(14, 2, hms.minutes().count());
    put(17, 2, hms.seconds().count());
    put(20, 3, hms.subseconds().count());
    return out;
}

std::optional<TimePoint> ParseIso8601(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z, strictly: no offsets other than Z, no lower-case letters,
    // no spaces. Fractions longer than milliseconds are truncated to milliseconds.
    const auto year = Digits(text, 0, 4);
    const auto month = Digits(text, 5, 2);
    const auto day = Digits(text, 8, 2);
    const auto hour = Digits(text, 11, 2);
    const auto minute = Digits(text, 14, 2);
    const auto second = Digits(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || !CharAt(text, 4, '-') ||
        !CharAt(text, 7, '-') || !CharAt(text, 10, 'T') || !CharAt(text, 13, ':') ||
        !CharAt(text, 16, ':')) {
        return std::nullopt;
    }
    if (*hour > 23 || *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year(*year),
                                          std::chrono::month(static_cast<unsigned>(*month)),
                                          std::chrono::day(static_cast<unsigned>(*day))};
    if (!ymd.ok()) {
        return std::nullopt;
    }

    std::size_t pos = 19;
    std::int64_t millis = 0;
    if (CharAt(text, pos, '.')) {
        ++pos;
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 3) {
                millis = millis * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (std::size_t i = digits; i < 3; ++i) {
            millis *= 10;
        }
    }
    if (!CharAt(text, pos, 'Z') || pos + 1 != text.size()) {
        return std::nullopt;
    }

    const std::int64_t day_count = sys_days(ymd).time_since_epoch().count();
    const std::int64_t ms =
        ((day_count * 24 + *hour) * 60 + *minute) * 60'000 + std::int64_t{*second} * 1000 + millis;
    // TimePoint counts nanoseconds in 64 bits (about years 1678..2262): refuse what it can't hold.
    if (ms > ToEpochMs(TimePoint::max()) || ms < ToEpochMs(TimePoint::min()) + 1) {
        return std::nullopt;
    }
    return FromEpochMs(ms);
}

}  // namespace ticketing::util

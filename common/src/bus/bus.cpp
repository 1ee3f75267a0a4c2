#include "common/bus/bus.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/util/ids.hpp"

namespace ticketing::bus {

std::string NewEventId() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    char prefix[13];
    std::snprintf(prefix, sizeof prefix, "%012llx",
                  static_cast<unsigned long long>(ms) & 0xffffffffffffULL);
    return prefix + util::RandomHex(10);
}

std::string_view ToString(AckDecision d) {
    switch (d) {
        case AckDecision::kAck:
            return "ack";
        case AckDecision::kRetry:
            return "retry";
        case AckDecision::kDeadLetter:
            return "dead-letter";
    }
    return "ack";
}

std::string ConsumerName(std::string_view queue_group, std::string_view subject) {
    std::string s(subject);
    std::replace(s.begin(), s.end(), ':', '-');
    return std::string(queue_group) + "-" + s;
}

std::chrono::milliseconds TransientRetryDelay(std::uint64_t num_delivered,
                                              std::chrono::milliseconds cap) {
    constexpr std::chrono::milliseconds kFirst{50};
    // 50 ms << 20 is about 14 hours: past any cap, and no overflow.
    std::uint64_t exponent =
        num_delivered == 0 ? 0 : std::min<std::uint64_t>(num_delivered - 1, 20);
    std::chrono::milliseconds delay = kFirst * (std::int64_t{1} << exponent);
    return std::min(delay, cap);
}

std::chrono::milliseconds RetryDelay(std::uint64_t num_delivered) {
    return TransientRetryDelay(num_delivered, std::chrono::milliseconds(5000));
}

}  // namespace ticketing::bus

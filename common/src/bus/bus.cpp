#include "common/bus/bus.hpp"

#include <algorithm>

#include "common/util/ids.hpp"

namespace ticketing::bus {

std::string NewEventId() {
    return util::RandomHex(16);
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

std::chrono::milliseconds RetryDelay(std::uint64_t num_delivered) {
    constexpr std::chrono::milliseconds kFirst{50};
    constexpr std::chrono::milliseconds kMax{5000};
    std::uint64_t exponent =
        num_delivered == 0 ? 0 : std::min<std::uint64_t>(num_delivered - 1, 10);
    std::chrono::milliseconds delay = kFirst * (std::int64_t{1} << exponent);
    return std::min(delay, kMax);
}

}  // namespace ticketing::bus

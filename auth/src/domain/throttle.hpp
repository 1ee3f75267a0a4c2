// Throttle: a token bucket per key (a client address, an account's email), so that auth limits
// sign-in and sign-up attempts itself, with or without the ingress in front (DESIGN.md section
// 13). Each key may spend `burst` attempts at once and earns `rate_per_second` back; Allow says
// whether one more attempt may go ahead now and, if not, when the next one could. Keys whose
// bucket is full again are forgotten, so memory stays bounded by the keys active recently.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/util/clock.hpp"

namespace ticketing::auth_service {

class Throttle final {
public:
    Throttle(double rate_per_second, double burst, const util::Clock& clock);

    struct Decision {
        bool allowed;
        std::chrono::seconds retry_after;  // when refused: whole seconds until one token is back
    };
    Decision Allow(const std::string& key);

private:
    struct Bucket {
        double tokens;
        util::TimePoint updated;
    };

    double rate_;
    double burst_;
    const util::Clock& clock_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
    util::TimePoint next_sweep_{};
};

}  // namespace ticketing::auth_service

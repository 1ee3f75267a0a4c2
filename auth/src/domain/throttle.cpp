#include "domain/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace ticketing::auth_service {

Throttle::Throttle(double rate_per_second, double burst, const util::Clock& clock)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), clock_(clock) {}

Throttle::Decision Throttle::Allow(const std::string& key) {
    const auto now = clock_.Now();
    std::lock_guard lock(mu_);
    auto refill = [this, now](Bucket& b) {
        const double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
        b.updated = now;
    };
    // Forget the keys that are full again, at most once a minute.
    if (now >= next_sweep_) {
        next_sweep_ = now + std::chrono::minutes(1);
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            refill(it->second);
            it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
        }
    }
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& bucket = it->second;
    if (!inserted) {
        refill(bucket);
    }
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return {true, std::chrono::seconds(0)};
    }
    const double wait = rate_ > 0 ? (1.0 - bucket.tokens) / rate_ : 3600.0;
    return {false, std::chrono::seconds(static_cast<std::int64_t>(std::ceil(wait)))};
}

}  // namespace ticketing::auth_service

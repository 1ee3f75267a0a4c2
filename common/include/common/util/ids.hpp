// Ids: the 24-lowercase-hex identifiers every service gives its rows (DESIGN.md section 4,
// MongoDB ObjectId layout), behind the IdGenerator port so tests can script them; plus RandomHex
// for request ids and other opaque random tokens.
// Used by services' main() (builds an ObjectIdGenerator), domain code (takes an IdGenerator&),
// handlers and listeners (IsValidId lets them answer 404 for an ill-formed id without a lookup).
// Thread-safety: ObjectIdGenerator::NewId and RandomHex are safe to call from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/clock.hpp"

namespace ticketing::util {

class IdGenerator {
public:
    virtual ~IdGenerator() = default;
    virtual std::string NewId() = 0;
};

// 12 bytes as 24 lowercase hex: 4-byte big-endian seconds since the epoch (from the Clock),
// 5 random bytes chosen once per generator, 3-byte big-endian counter that starts at a random
// value and wraps at 2^24. Ids from one generator are unique while fewer than 2^24 are made in
// the same second; across generators the random bytes make collisions negligible.
class ObjectIdGenerator final : public IdGenerator {
public:
    // Random bytes and counter start from libsodium. `clock` must outlive the generator.
    explicit ObjectIdGenerator(const Clock& clock);
    // Deterministic variant for tests; only the low 24 bits of counter_start are used.
    ObjectIdGenerator(const Clock& clock,
                      std::array<std::uint8_t, 5> random_bytes,
                      std::uint32_t counter_start);

    std::string NewId() override;

private:
    const Clock& clock_;
    const std::array<std::uint8_t, 5> random_bytes_;
    std::atomic<std::uint32_t> counter_;
};

// True for exactly 24 lowercase hex characters.
bool IsValidId(std::string_view id);

// `bytes` cryptographically random bytes (libsodium) as 2*bytes lowercase hex characters.
std::string RandomHex(std::size_t bytes);

}  // namespace ticketing::util

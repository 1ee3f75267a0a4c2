#include "common/util/ids.hpp"

#include <stdexcept>
#include <vector>

#include <sodium.h>

namespace ticketing::util {
namespace {

constexpr std::uint32_t kCounterMask = 0xFF'FFFF;
constexpr char kHexDigits[] = "0123456789abcdef";

void EnsureSodium() {
    // sodium_init is idempotent and thread-safe; it only fails when no entropy source exists.
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium could not be initialised");
    }
}

std::array<std::uint8_t, 5> RandomFiveBytes() {
    EnsureSodium();
    std::array<std::uint8_t, 5> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    return bytes;
}

std::uint32_t RandomCounterStart() {
    EnsureSodium();
    return randombytes_random() & kCounterMask;
}

void AppendHex(std::string& out, std::uint8_t byte) {
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0x0F]);
}

}  // namespace

ObjectIdGenerator::ObjectIdGenerator(const Clock& clock)
    : ObjectIdGenerator(clock, RandomFiveBytes(), RandomCounterStart()) {}

ObjectIdGenerator::ObjectIdGenerator(const Clock& clock,
                                     std::array<std::uint8_t, 5> random_bytes,
                                     std::uint32_t counter_start)
    : clock_(clock), random_bytes_(random_bytes), counter_(counter_start & kCounterMask) {}

std::string ObjectIdGenerator::NewId() {
    const auto seconds =
        std::chrono::floor<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    // The field is 32 bits, as in MongoDB: times past 2106 wrap, times before 1970 clamp to 0.
    const auto stamp = static_cast<std::uint32_t>(seconds < 0 ? 0 : seconds);
    const std::uint32_t counter = counter_.fetch_add(1, std::memory_order_relaxed) & kCounterMask;

    std::string id;
    id.reserve(24);
    AppendHex(id, static_cast<std::uint8_t>(stamp >> 24));
    AppendHex(id, static_cast<std::uint8_t>(stamp >> 16));
    AppendHex(id, static_cast<std::uint8_t>(stamp >> 8));
    AppendHex(id, static_cast<std::uint8_t>(stamp));
    for (const std::uint8_t b : random_bytes_) {
        AppendHex(id, b);
    }
    AppendHex(id, static_cast<std::uint8_t>(counter >> 16));
    AppendHex(id, static_cast<std::uint8_t>(counter >> 8));
    AppendHex(id, static_cast<std::uint8_t>(counter));
    return id;
}

bool IsValidId(std::string_view id) {
    if (id.size() != 24) {
        return false;
    }
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::string RandomHex(std::size_t bytes) {
    EnsureSodium();
    std::vector<std::uint8_t> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string out;
    out.reserve(bytes * 2);
    for (const std::uint8_t b : raw) {
        AppendHex(out, b);
    }
    return out;
}

}  // namespace ticketing::util

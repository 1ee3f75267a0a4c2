#include "domain/password_hasher.hpp"

#include <stdexcept>

#include <sodium.h>

#include "common/domain/errors.hpp"

namespace ticketing::auth_service {

// Holds one of the max_concurrent places for the duration of a hash.
class Argon2PasswordHasher::Slot {
public:
    explicit Slot(Argon2PasswordHasher& h) : h_(h) {
        std::unique_lock lock(h_.mu_);
        if (h_.running_ >= h_.max_concurrent_ && h_.waiting_ >= h_.max_waiting_) {
            // The queue is full: answer at once (503 with Retry-After) rather than make every
            // sign-in wait behind a flood of them.
            throw domain::UnavailableError("Server busy, please retry");
        }
        ++h_.waiting_;
        h_.cv_.wait(lock, [this] { return h_.running_ < h_.max_concurrent_; });
        --h_.waiting_;
        ++h_.running_;
    }
    ~Slot() {
        {
            std::lock_guard lock(h_.mu_);
            --h_.running_;
        }
        h_.cv_.notify_one();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

private:
    Argon2PasswordHasher& h_;
};

Argon2PasswordHasher::Limits Argon2PasswordHasher::Interactive() {
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Argon2PasswordHasher::Limits Argon2PasswordHasher::Minimum() {
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Argon2PasswordHasher::Argon2PasswordHasher(std::size_t max_concurrent,
                                           std::size_t max_waiting,
                                           Limits limits)
    : limits_(limits),
      max_concurrent_(max_concurrent == 0 ? 1 : max_concurrent),
      max_waiting_(max_waiting) {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium could not be initialised");
    }
}

std::string Argon2PasswordHasher::Hash(std::string_view password) {
    char out[crypto_pwhash_STRBYTES];
    Slot slot(*this);
    if (crypto_pwhash_str_alg(out,
                              password.data(),
                              password.size(),
                              limits_.ops,
                              limits_.mem_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("password hashing ran out of memory");
    }
    return out;
}

bool Argon2PasswordHasher::Verify(std::string_view hash, std::string_view password) {
    // crypto_pwhash_str_verify wants a NUL-terminated string of at most STRBYTES.
    if (hash.size() >= crypto_pwhash_STRBYTES) {
        return false;
    }
    char stored[crypto_pwhash_STRBYTES] = {};
    hash.copy(stored, hash.size());
    Slot slot(*this);
    return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

}  // namespace ticketing::auth_service

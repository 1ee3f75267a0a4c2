// PasswordHasher: the port that turns passwords into stored hashes and checks them.
// Argon2PasswordHasher is the production one (libsodium's Argon2id, interactive limits: about
// 64 MiB and tens of milliseconds per hash); it lets only a few hashes run at once so a burst of
// sign-ins cannot exhaust memory: up to max_waiting others wait their turn, and beyond that a
// hash is refused at once with domain::UnavailableError (503 with Retry-After: DESIGN.md
// section 13). Tests of logic may use a fast fake.
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace ticketing::auth_service {

class PasswordHasher {
public:
    virtual ~PasswordHasher() = default;
    virtual std::string Hash(std::string_view password) = 0;
    // False for a wrong password or a malformed hash; never throws for either.
    virtual bool Verify(std::string_view hash, std::string_view password) = 0;
};

class Argon2PasswordHasher final : public PasswordHasher {
public:
    struct Limits {
        unsigned long long ops;
        std::size_t mem_bytes;
    };
    // libsodium's crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE.
    static Limits Interactive();
    // The smallest limits libsodium accepts: for tests that hash many passwords.
    static Limits Minimum();

    Argon2PasswordHasher(std::size_t max_concurrent,
                         std::size_t max_waiting,
                         Limits limits = Interactive());

    std::string Hash(std::string_view password) override;
    bool Verify(std::string_view hash, std::string_view password) override;

private:
    class Slot;

    Limits limits_;
    std::size_t max_concurrent_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t max_waiting_;
    std::size_t running_ = 0;
    std::size_t waiting_ = 0;
};

}  // namespace ticketing::auth_service

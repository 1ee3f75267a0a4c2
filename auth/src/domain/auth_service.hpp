// AuthService: the rules of signing up and signing in (DESIGN.md section 4), free of HTTP and
// SQL. Sign-up normalises nothing itself (the validator already trimmed and lower-cased the
// email) and lets the unique index decide "Email in use". Sign-in answers "Invalid credentials"
// for an unknown email and for a wrong password alike, and spends the same time on both: an
// unknown email is checked against a dummy hash made at start-up with the same parameters.
// Thread-safety: safe from any thread (its collaborators are).
#pragma once

#include <string>

#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

#include "domain/password_hasher.hpp"
#include "domain/user.hpp"
#include "storage/user_repository.hpp"

namespace ticketing::auth_service {

inline constexpr std::string_view kEmailInUse = "Email in use";
inline constexpr std::string_view kInvalidCredentials = "Invalid credentials";

class AuthService final {
public:
    AuthService(UserRepository& users,
                PasswordHasher& hasher,
                util::IdGenerator& ids,
                const util::Clock& clock);

    // Throws domain::RuleViolation(kEmailInUse) (400) when the email is taken.
    User SignUp(const std::string& email, const std::string& password);
    // Throws domain::RuleViolation(kInvalidCredentials) (400) for any mismatch.
    User SignIn(const std::string& email, const std::string& password);

private:
    UserRepository& users_;
    PasswordHasher& hasher_;
    util::IdGenerator& ids_;
    const util::Clock& clock_;
    std::string dummy_hash_;
};

}  // namespace ticketing::auth_service

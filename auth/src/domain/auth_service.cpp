#include "domain/auth_service.hpp"

#include "common/domain/errors.hpp"

namespace ticketing::auth_service {

AuthService::AuthService(UserRepository& users,
                         PasswordHasher& hasher,
                         util::IdGenerator& ids,
                         const util::Clock& clock)
    : users_(users),
      hasher_(hasher),
      ids_(ids),
      clock_(clock),
      dummy_hash_(hasher.Hash(util::RandomHex(16))) {}

User AuthService::SignUp(const std::string& email, const std::string& password) {
    User user{ids_.NewId(), email, hasher_.Hash(password), clock_.Now()};
    if (!users_.Insert(user)) {
        throw domain::RuleViolation(std::string(kEmailInUse));
    }
    return user;
}

User AuthService::SignIn(const std::string& email, const std::string& password) {
    auto user = users_.FindByEmail(email);
    // Verify even when there is no such user, so both failures take the same time.
    bool ok = hasher_.Verify(user ? user->password_hash : dummy_hash_, password);
    if (!user || !ok) {
        throw domain::RuleViolation(std::string(kInvalidCredentials));
    }
    return *user;
}

}  // namespace ticketing::auth_service

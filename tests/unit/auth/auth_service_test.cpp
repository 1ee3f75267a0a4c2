// AuthService's rules with an in-memory repository and a counting fake hasher.
#include "domain/auth_service.hpp"

#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "common/domain/errors.hpp"
#include "common/http/errors.hpp"
#include "common/testing/fake_clock.hpp"

#include "domain/password_hasher.hpp"

namespace ticketing::auth_service {
namespace {

class InMemoryUserRepository final : public UserRepository {
public:
    bool Insert(const User& user) override {
        std::lock_guard lock(mu_);
        return users_.emplace(user.email, user).second;
    }
    std::optional<User> FindByEmail(const std::string& email) override {
        std::lock_guard lock(mu_);
        auto it = users_.find(email);
        return it == users_.end() ? std::nullopt : std::optional<User>(it->second);
    }

private:
    std::mutex mu_;
    std::map<std::string, User> users_;
};

// "hash:<password>"; counts verifications so tests can see the timing-equalising check.
class FakeHasher final : public PasswordHasher {
public:
    std::string Hash(std::string_view password) override { return "hash:" + std::string(password); }
    bool Verify(std::string_view hash, std::string_view password) override {
        ++verifications;
        return hash == "hash:" + std::string(password);
    }
    int verifications = 0;
};

class FixedIds final : public util::IdGenerator {
public:
    std::string NewId() override { return "5f1a2b3c4d5e6f7a8b9c0d" + std::to_string(10 + n_++); }

private:
    int n_ = 0;
};

// The answer the error middleware makes of what the call threw: "<status> <message>".
std::string ErrorOf(auto call) {
    try {
        call();
    } catch (const std::exception& e) {
        auto answer = http::ToHttpError(e);
        return answer ? std::to_string(answer->status()) + " " + answer->what() : "not mapped";
    }
    return "no error";
}

class AuthServiceTest : public ::testing::Test {
protected:
    InMemoryUserRepository users_;
    FakeHasher hasher_;
    FixedIds ids_;
    test::FakeClock clock_;
    AuthService service_{users_, hasher_, ids_, clock_};
};

TEST_F(AuthServiceTest, SignUpStoresHashNotPassword) {
    User u = service_.SignUp("a@b.co", "password1");
    EXPECT_EQ(u.email, "a@b.co");
    EXPECT_EQ(u.password_hash, "hash:password1");
    EXPECT_EQ(u.created_at, clock_.Now());
    EXPECT_EQ(users_.FindByEmail("a@b.co")->id, u.id);
}

TEST_F(AuthServiceTest, SignUpRejectsTakenEmail) {
    service_.SignUp("a@b.co", "password1");
    EXPECT_EQ(ErrorOf([&] { service_.SignUp("a@b.co", "password2"); }), "400 Email in use");
}

TEST_F(AuthServiceTest, SignInReturnsTheUserForTheRightPassword) {
    User created = service_.SignUp("a@b.co", "password1");
    EXPECT_EQ(service_.SignIn("a@b.co", "password1").id, created.id);
}

TEST_F(AuthServiceTest, SignInGivesOneMessageForWrongPasswordAndUnknownEmail) {
    service_.SignUp("a@b.co", "password1");
    EXPECT_EQ(ErrorOf([&] { service_.SignIn("a@b.co", "wrong-password"); }),
              "400 Invalid credentials");
    EXPECT_EQ(ErrorOf([&] { service_.SignIn("nobody@b.co", "password1"); }),
              "400 Invalid credentials");
}

TEST_F(AuthServiceTest, SignInChecksAHashEvenForAnUnknownEmail) {
    int before = hasher_.verifications;
    EXPECT_THROW(service_.SignIn("nobody@b.co", "password1"), domain::RuleViolation);
    EXPECT_EQ(hasher_.verifications, before + 1);
}

TEST(Argon2PasswordHasher, VerifiesTheRightPasswordOnly) {
    Argon2PasswordHasher hasher(2, 8, Argon2PasswordHasher::Minimum());
    std::string hash = hasher.Hash("correct horse battery");
    EXPECT_TRUE(hash.starts_with("$argon2id$"));
    EXPECT_TRUE(hasher.Verify(hash, "correct horse battery"));
    EXPECT_FALSE(hasher.Verify(hash, "correct horse battery!"));
}

TEST(Argon2PasswordHasher, SaltsEveryHash) {
    Argon2PasswordHasher hasher(2, 8, Argon2PasswordHasher::Minimum());
    EXPECT_NE(hasher.Hash("same password"), hasher.Hash("same password"));
}

TEST(Argon2PasswordHasher, MalformedHashIsAMismatch) {
    Argon2PasswordHasher hasher(1, 8, Argon2PasswordHasher::Minimum());
    EXPECT_FALSE(hasher.Verify("", "x"));
    EXPECT_FALSE(hasher.Verify("$argon2id$garbage", "x"));
    EXPECT_FALSE(hasher.Verify(std::string(500, 'a'), "x"));
}

}  // namespace
}  // namespace ticketing::auth_service

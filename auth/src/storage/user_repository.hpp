// UserRepository: the port through which the auth service stores users; SqlUserRepository is
// the SQL implementation (SQLite or PostgreSQL). Tests of the domain use InMemoryUserRepository.
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "domain/user.hpp"

namespace ticketing::db {
class Database;
}

namespace ticketing::auth_service {

class UserRepository {
public:
    virtual ~UserRepository() = default;
    // False when the email is taken (decided by the unique index, atomically).
    virtual bool Insert(const User& user) = 0;
    virtual std::optional<User> FindByEmail(const std::string& email) = 0;
};

class SqlUserRepository final : public UserRepository {
public:
    explicit SqlUserRepository(db::Database& db) : db_(db) {}
    bool Insert(const User& user) override;
    std::optional<User> FindByEmail(const std::string& email) override;

private:
    db::Database& db_;
};

}  // namespace ticketing::auth_service

#include "common/db/sql.hpp"

#include "storage/user_repository.hpp"

namespace ticketing::auth_service {

bool SqlUserRepository::Insert(const User& user) {
    return db_.Transaction([&](soci::session& tx) {
        const long long created_at = util::ToEpochMs(user.created_at);
        soci::statement st =
            (tx.prepare
                 << "INSERT INTO users (id, email, password_hash, created_at) "
                    "VALUES (:id, :email, :hash, :created_at) ON CONFLICT (email) DO NOTHING",
             soci::use(user.id),
             soci::use(user.email),
             soci::use(user.password_hash),
             soci::use(created_at));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

std::optional<User> SqlUserRepository::FindByEmail(const std::string& email) {
    return db_.WithSession([&](soci::session& s) -> std::optional<User> {
        User user;
        long long created_at = 0;
        soci::indicator ind = soci::i_null;
        s << "SELECT id, email, password_hash, created_at FROM users WHERE email = :email",
            soci::use(email), soci::into(user.id, ind), soci::into(user.email),
            soci::into(user.password_hash), soci::into(created_at);
        if (!s.got_data() || ind != soci::i_ok) {
            return std::nullopt;
        }
        user.created_at = util::FromEpochMs(created_at);
        return user;
    });
}

}  // namespace ticketing::auth_service

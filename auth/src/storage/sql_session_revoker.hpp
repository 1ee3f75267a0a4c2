// SqlSessionRevoker: records a sign-out as a session:revoked event in auth's outbox (one row in
// its own transaction), then wakes the relay that publishes it.
// Thread-safety: safe from any thread.
#pragma once

#include <functional>

#include "common/util/clock.hpp"

#include "domain/session_revoker.hpp"

namespace ticketing::db {
class Database;
}

namespace ticketing::auth_service {

class SqlSessionRevoker final : public SessionRevoker {
public:
    SqlSessionRevoker(db::Database& db, const util::Clock& clock, std::function<void()> wake);
    void Revoke(const auth::UserPayload& session, const std::string& traceparent) override;

private:
    db::Database& db_;
    const util::Clock& clock_;
    std::function<void()> wake_;
};

}  // namespace ticketing::auth_service

#include "storage/sql_session_revoker.hpp"

#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"
#include "common/events/events.hpp"

namespace ticketing::auth_service {

SqlSessionRevoker::SqlSessionRevoker(db::Database& db,
                                     const util::Clock& clock,
                                     std::function<void()> wake)
    : db_(db), clock_(clock), wake_(std::move(wake)) {}

void SqlSessionRevoker::Revoke(const auth::UserPayload& session, const std::string& traceparent) {
    const events::SessionRevoked event{
        session.jti, session.id, util::FromEpochMs(session.exp * 1000)};
    db_.Transaction([&](soci::session& tx) {
        bus::Outbox::Add(tx, event, {traceparent, clock_.Now()});
    });
    if (wake_) {
        wake_();
    }
}

}  // namespace ticketing::auth_service

#include "common/bus/inbox.hpp"

#include <chrono>

#include "common/db/sql.hpp"

namespace ticketing::bus {
namespace {

// Thrown inside the transaction to roll it back when the handler declines the event.
struct Declined {
    AckDecision decision;
};

}  // namespace

bool RecordHandled(soci::session& tx, const std::string& consumer, const std::string& event_id) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    soci::statement st =
        (tx.prepare << "INSERT INTO inbox (consumer, event_id, handled_at) "
                       "VALUES (:consumer, :event_id, :handled_at) ON CONFLICT DO NOTHING",
         soci::use(consumer),
         soci::use(event_id),
         soci::use(now));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

AckDecision HandleOnce(db::Database& db,
                       const MessageMeta& meta,
                       const std::function<AckDecision(soci::session& tx)>& handle) {
    try {
        return db.Transaction([&](soci::session& tx) {
            if (!RecordHandled(tx, meta.consumer, meta.event_id)) {
                return AckDecision::kAck;  // handled before: a redelivery
            }
            AckDecision d = handle(tx);
            if (d != AckDecision::kAck) {
                throw Declined{d};
            }
            return d;
        });
    } catch (const Declined& declined) {
        return declined.decision;
    }
}

}  // namespace ticketing::bus

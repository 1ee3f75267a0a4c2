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

AckDecision HandleOnce(db::Database& db,
                       const MessageMeta& meta,
                       const std::function<AckDecision(soci::session& tx)>& handle) {
    try {
        return db.Transaction([&](soci::session& tx) {
            const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
            soci::statement st =
                (tx.prepare << "INSERT INTO inbox (consumer, event_id, handled_at) "
                               "VALUES (:consumer, :event_id, :handled_at) ON CONFLICT DO NOTHING",
                 soci::use(meta.consumer),
                 soci::use(meta.event_id),
                 soci::use(now));
            st.execute(true);
            if (st.get_affected_rows() == 0) {
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

AckDecision HandleOnce(const ListenerContext& ctx,
                       const MessageMeta& meta,
                       const std::function<AckDecision(soci::session& tx)>& handle) {
    bool ran = false;
    AckDecision d = HandleOnce(ctx.db, meta, [&](soci::session& tx) {
        ran = true;
        return handle(tx);
    });
    if (ran && d == AckDecision::kAck && ctx.events_written) {
        ctx.events_written();
    }
    return d;
}

}  // namespace ticketing::bus

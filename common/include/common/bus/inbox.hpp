// The inbox (DESIGN.md section 5): runs an event handler in one database transaction together
// with the insert of (consumer, event id) into `inbox`. A redelivered event finds its row and is
// acknowledged without running again; events the handler causes go to the outbox with the same
// session, so the change, the inbox row and the outgoing events commit or roll back together.
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <functional>

#include "common/bus/bus.hpp"

namespace soci {
class session;
}
namespace ticketing::db {
class Database;
}

namespace ticketing::bus {

// Runs `handle(tx)` exactly once per (meta.consumer, meta.event_id):
//   - already recorded: returns kAck without calling handle;
//   - handle returns kAck: its changes and the inbox row commit together;
//   - handle returns kRetry or kDeadLetter: everything it did is rolled back, the event stays
//     unrecorded, and the decision is returned.
// Exceptions from handle roll back and propagate (the subscriber treats them as kRetry).
AckDecision HandleOnce(db::Database& db,
                       const MessageMeta& meta,
                       const std::function<AckDecision(soci::session& tx)>& handle);

}  // namespace ticketing::bus

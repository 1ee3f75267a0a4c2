// The inbox (DESIGN.md section 5): runs an event handler in one database transaction together
// with the insert of (consumer, event id) into `inbox`. A redelivered event finds its row and is
// acknowledged without running again; events the handler causes go to the outbox with the same
// session, so the change, the inbox row and the outgoing events commit or roll back together.
// Services reach it through the unit-of-work port (storage::TransactionRunner::HandleOnce, on
// storage::SqlInbox); HandleOnce on a soci::session remains for the code that still writes SQL
// in its listeners (payments).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <functional>
#include <string>

#include "common/bus/bus.hpp"

namespace soci {
class session;
}
namespace ticketing::db {
class Database;
}

namespace ticketing::bus {

// Records (consumer, event_id) in `inbox` in the caller's open transaction `tx` (INSERT ... ON
// CONFLICT DO NOTHING); false when it was recorded already. storage::SqlInbox and HandleOnce use
// it.
bool RecordHandled(soci::session& tx, const std::string& consumer, const std::string& event_id);

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

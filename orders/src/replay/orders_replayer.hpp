// OrdersReplayer: how the orders service rebuilds its database from the stream (DESIGN.md
// section 8): the ticket replica from ticket:created / ticket:updated (the version rule, as the
// live listeners apply it), and its own orders from its own events, order:created, then
// order:cancelled / order:completed, each one version up. expiration:complete and
// payment:created are not applied: what they changed is the order:cancelled / order:completed
// that follows them (one not yet handled is still pending on the live durable).
// created_at is order:created's Ticketing-Occurred-At, the time the order was created.
// DumpTables: the canonical dump (`ticketing-orders dump`).
// Thread-safety: stateless.
#pragma once

#include <vector>

#include "common/db/dump.hpp"
#include "common/service/replay.hpp"

namespace ticketing::orders {

class OrdersReplayer final : public service::EventReplayer {
public:
    std::vector<std::string> Tables() const override;
    Outcome Apply(soci::session& tx, const bus::StoredEvent& event) override;
};

std::vector<db::TableDump> DumpTables();

}  // namespace ticketing::orders

// OrdersReplayer: how the orders service rebuilds its database from the stream (DESIGN.md
// section 8): the ticket replica from ticket:created / ticket:updated (the version rule, as the
// live listeners apply it), and its own orders from its own events, order:created, then
// order:cancelled / order:completed, each one version up. expiration:complete and
// payment:created are not applied: what they changed is the order:cancelled / order:completed
// that follows them (one not yet handled is still pending on the live durable).
// created_at is order:created's Ticketing-Occurred-At, the time the order was created.
// DumpTables: the canonical dump (`ticketing-orders dump`).
// Thread-safety: none; one replay at a time.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/db/dump.hpp"
#include "common/service/replay.hpp"

#include "domain/order.hpp"

namespace ticketing::orders {

class OrdersReplayer final : public service::EventReplayer {
public:
    std::vector<std::string> Tables() const override;
    Outcome Apply(const bus::StoredEvent& event) override;
    void Write(soci::session& tx) override;

    // What Apply has rebuilt so far (tests); an order's `ticket` holds only the ticket's id.
    const std::unordered_map<std::string, Ticket>& tickets() const { return tickets_; }
    const std::unordered_map<std::string, Order>& orders() const { return orders_; }

private:
    std::unordered_map<std::string, Ticket> tickets_;
    std::unordered_map<std::string, Order> orders_;
};

std::vector<db::TableDump> DumpTables();

}  // namespace ticketing::orders

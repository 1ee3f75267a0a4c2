// TicketsReplayer: how the tickets service rebuilds its database from the stream (DESIGN.md
// section 8). Its own events carry every change of a ticket (ticket:created, then one
// ticket:updated per version, reservations included), so the tickets table is rebuilt from them
// alone; order:cancelled rebuilds `cancelled_orders`. order:created and order:completed are not
// applied: their effect on a ticket is the ticket:updated that follows them in the stream (one
// not yet handled is still pending on the live durable, which handles it after the replay).
// created_at is the event's Ticketing-Occurred-At, which is the time the ticket was created.
// DumpTables: the canonical dump (`ticketing-tickets dump`) of what the stream determines.
// Thread-safety: none; one replay at a time.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/db/dump.hpp"
#include "common/service/replay.hpp"

#include "domain/ticket.hpp"

namespace ticketing::tickets {

class TicketsReplayer final : public service::EventReplayer {
public:
    std::vector<std::string> Tables() const override;
    Outcome Apply(const bus::StoredEvent& event) override;
    void Write(soci::session& tx) override;

    // What Apply has rebuilt so far (tests).
    const std::unordered_map<std::string, Ticket>& tickets() const { return tickets_; }

private:
    std::unordered_map<std::string, Ticket> tickets_;
    std::unordered_map<std::string, std::string> cancelled_orders_;  // order id -> ticket id
    std::unordered_map<std::string, std::string> completed_orders_;  // order id -> ticket id
};

std::vector<db::TableDump> DumpTables();

}  // namespace ticketing::tickets

// TicketStore: the tickets service's SQL, one function per statement, always on a session the
// caller holds, so a route or a listener runs several of them in one transaction with its
// outbox and inbox rows (a repository owning its transactions could not share them).
// Portable between SQLite and PostgreSQL (db/database.hpp).
// Thread-safety: stateless; a session belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bus/outbox.hpp"
#include "domain/page.hpp"
#include "domain/ticket.hpp"

namespace soci {
class session;
}

namespace ticketing::tickets {

class TicketStore final {
public:
    static void Insert(soci::session& s, const Ticket& t);
    static std::optional<Ticket> Find(soci::session& s, const std::string& id);
    // One page of the unreserved tickets (served by the partial index tickets_unreserved).
    static std::vector<Ticket> ListUnreserved(soci::session& s, const PageRequest& page);
    // One page of one seller's tickets, in every state (index tickets_user).
    static std::vector<Ticket> ListOfSeller(soci::session& s,
                                            const std::string& user_id,
                                            const PageRequest& page);
    // The ticket is sold: its holding order `order_id` completed. False when the ticket is not
    // held by that order or is marked already.
    static bool MarkSold(soci::session& s,
                         const std::string& ticket_id,
                         const std::string& order_id);
    // Optimistic write: stores `next` (title, price, order_id, version) only if the row is still
    // at `expected_version`. False when another writer changed it first: nothing is written.
    static bool Update(soci::session& s, const Ticket& next, std::int64_t expected_version);

    // ---- orders whose order:cancelled was handled ----
    // How the relay prunes them (after INBOX_RETENTION_SECONDS, like the inbox: an
    // order:created that arrives later than that is past any redelivery the inbox guards).
    static bus::RetentionRule CancelledOrdersRetention() {
        return {"cancelled_orders", "order_id", "cancelled_at"};
    }
    static void RecordCancelledOrder(soci::session& s,
                                     const std::string& order_id,
                                     const std::string& ticket_id);
    static bool IsOrderCancelled(soci::session& s, const std::string& order_id);
};

}  // namespace ticketing::tickets

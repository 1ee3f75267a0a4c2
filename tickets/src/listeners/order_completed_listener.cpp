#include "common/bus/inbox.hpp"
#include "common/db/database.hpp"

#include "listeners/listeners.hpp"
#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& e,
                                                const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_.db, meta, [&](soci::session& tx) {
        if (!TicketStore::Find(tx, e.ticket.id)) {
            return bus::AckDecision::kDeadLetter;  // not a ticket of ours
        }
        // Sold: the ticket stays reserved by the order, so nothing changes and nothing is
        // published. The inbox row still records the event as handled.
        return bus::AckDecision::kAck;
    });
}

}  // namespace ticketing::tickets

#include "common/bus/inbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/order_store.hpp"

namespace ticketing::orders {

bus::AckDecision TicketUpdatedListener::Handle(const events::TicketUpdated& e,
                                               const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_.db, meta, [&](soci::session& tx) {
        if (OrderStore::UpdateTicketFromPrevious(tx, Ticket{e.id, e.title, e.price, e.version})) {
            return bus::AckDecision::kAck;
        }
        auto held = OrderStore::FindTicket(tx, e.id);
        if (held && held->version >= e.version) {
            return bus::AckDecision::kAck;  // this version or a newer one is applied already
        }
        // A gap (or ticket:created not seen yet): wait for the missing version.
        return bus::AckDecision::kRetry;
    });
}

}  // namespace ticketing::orders

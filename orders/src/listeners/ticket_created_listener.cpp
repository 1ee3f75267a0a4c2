#include "common/bus/inbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/order_store.hpp"

namespace ticketing::orders {

bus::AckDecision TicketCreatedListener::Handle(const events::TicketCreated& e,
                                               const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_.db, meta, [&](soci::session& tx) {
        OrderStore::InsertTicket(tx, Ticket{e.id, e.title, e.price, e.version});
        return bus::AckDecision::kAck;  // inserted, or already there: either way done
    });
}

}  // namespace ticketing::orders

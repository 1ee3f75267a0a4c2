#include "common/bus/inbox.hpp"
#include "common/db/sql.hpp"

#include "listeners/listeners.hpp"
#include "storage/payment_store.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& e,
                                              const bus::MessageMeta& meta) {
    return bus::HandleOnce(ctx_.db, meta, [&](soci::session& tx) {
        PaymentStore::InsertOrder(
            tx, OrderReplica{e.id, e.user_id, e.ticket.price, e.status, e.version});
        return bus::AckDecision::kAck;  // inserted, or already there: either way done
    });
}

}  // namespace ticketing::payments

#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision TicketUpdatedListener::Handle(const events::TicketUpdated& e,
                                               const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) {
        if (uow.tickets().UpdateFromPrevious(Ticket{e.id, e.title, e.price, e.version})) {
            return bus::AckDecision::kAck;
        }
        auto held = uow.tickets().Find(e.id);
        if (held && held->version >= e.version) {
            return bus::AckDecision::kAck;  // this version or a newer one is applied already
        }
        // A gap (or ticket:created not seen yet): wait for the missing version.
        return bus::AckDecision::kRetry;
    });
}

}  // namespace ticketing::orders

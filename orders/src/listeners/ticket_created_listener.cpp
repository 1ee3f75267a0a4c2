#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision TicketCreatedListener::Handle(const events::TicketCreated& e,
                                               const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) {
        uow.tickets().Insert(Ticket{e.id, e.title, e.price, e.version});
        return bus::AckDecision::kAck;  // inserted, or already there: either way done
    });
}

}  // namespace ticketing::orders

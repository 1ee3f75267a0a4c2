#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& e,
                                              const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](PaymentsUnitOfWork& uow) {
        uow.orders().Insert(OrderReplica{e.id, e.user_id, e.ticket.price, e.status, e.version});
        return bus::AckDecision::kAck;  // inserted, or already there: either way done
    });
}

}  // namespace ticketing::payments

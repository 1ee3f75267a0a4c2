#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCreatedListener::Apply(PaymentsUnitOfWork& uow, const events::OrderCreated& e) {
    uow.orders().Insert(OrderReplica{e.id, e.user_id, e.ticket.price, e.status, e.version});
    return bus::AckDecision::kAck;  // inserted, or already there: either way done
}

bus::AckDecision OrderCreatedListener::Handle(const events::OrderCreated& e,
                                              const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta,
                                        [&](PaymentsUnitOfWork& uow) { return Apply(uow, e); });
}

std::vector<bus::AckDecision> OrderCreatedListener::HandleBatch(
    std::span<const events::OrderCreated> events, std::span<const bus::MessageMeta> metas) {
    return ctx_.transactions.HandleEachOnce<events::OrderCreated>(events, metas, &Apply);
}

}  // namespace ticketing::payments

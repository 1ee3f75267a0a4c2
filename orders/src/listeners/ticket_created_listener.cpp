#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision TicketCreatedListener::Apply(OrdersUnitOfWork& uow, const events::TicketCreated& e) {
    uow.tickets().Insert(Ticket{e.id, e.title, e.price, e.version});
    return bus::AckDecision::kAck;  // inserted, or already there: either way done
}

bus::AckDecision TicketCreatedListener::Handle(const events::TicketCreated& e,
                                               const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) { return Apply(uow, e); });
}

std::vector<bus::AckDecision> TicketCreatedListener::HandleBatch(
    std::span<const events::TicketCreated> events, std::span<const bus::MessageMeta> metas) {
    return ctx_.transactions.HandleEachOnce<events::TicketCreated>(events, metas, &Apply);
}

}  // namespace ticketing::orders

#include "listeners/listeners.hpp"

namespace ticketing::orders {

bus::AckDecision TicketUpdatedListener::Apply(OrdersUnitOfWork& uow, const events::TicketUpdated& e) {
    if (uow.tickets().UpdateFromPrevious(Ticket{e.id, e.title, e.price, e.version})) {
        return bus::AckDecision::kAck;
    }
    auto held = uow.tickets().Find(e.id);
    if (held && held->version >= e.version) {
        return bus::AckDecision::kAck;  // this version or a newer one is applied already
    }
    // A gap (or ticket:created not seen yet): wait for the missing version.
    return bus::AckDecision::kRetry;
}

bus::AckDecision TicketUpdatedListener::Handle(const events::TicketUpdated& e,
                                               const bus::MessageMeta& meta) {
    return ctx_.transactions.HandleOnce(meta, [&](OrdersUnitOfWork& uow) { return Apply(uow, e); });
}

std::vector<bus::AckDecision> TicketUpdatedListener::HandleBatch(
    std::span<const events::TicketUpdated> events, std::span<const bus::MessageMeta> metas) {
    return ctx_.transactions.HandleEachOnce<events::TicketUpdated>(events, metas, &Apply);
}

}  // namespace ticketing::orders

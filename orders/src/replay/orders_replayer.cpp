#include "replay/orders_replayer.hpp"

#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/order_store.hpp"

namespace ticketing::orders {

std::vector<std::string> OrdersReplayer::Tables() const {
    return {"orders", "tickets"};  // orders first: they refer to the replica
}

service::EventReplayer::Outcome OrdersReplayer::Apply(soci::session& tx,
                                                      const bus::StoredEvent& e) {
    auto outcome = [](bool applied) { return applied ? Outcome::kApplied : Outcome::kSkipped; };
    if (e.subject == events::kTicketCreated.name) {
        auto t = events::Decode<events::TicketCreated>(e.payload);
        return outcome(OrderStore::InsertTicket(tx, {t.id, t.title, t.price, t.version}));
    }
    if (e.subject == events::kTicketUpdated.name) {
        auto t = events::Decode<events::TicketUpdated>(e.payload);
        return outcome(
            OrderStore::UpdateTicketFromPrevious(tx, {t.id, t.title, t.price, t.version}));
    }
    if (e.subject == events::kOrderCreated.name) {
        auto o = events::Decode<events::OrderCreated>(e.payload);
        Order order;
        order.id = o.id;
        order.user_id = o.user_id;
        order.status = o.status;
        order.expires_at = o.expires_at;
        order.version = o.version;
        order.created_at = util::ParseIso8601(e.occurred_at).value_or(util::TimePoint{});
        order.ticket.id = o.ticket.id;
        return outcome(OrderStore::InsertOrder(tx, order));
    }
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        return outcome(OrderStore::UpdateStatus(tx, o.id, OrderStatus::kCancelled, o.version - 1));
    }
    if (e.subject == events::kOrderCompleted.name) {
        auto o = events::Decode<events::OrderCompleted>(e.payload);
        return outcome(OrderStore::UpdateStatus(tx, o.id, OrderStatus::kComplete, o.version - 1));
    }
    return Outcome::kSkipped;
}

std::vector<db::TableDump> DumpTables() {
    return {
        {"tickets", {"id", "title", "price", "version"}, "id"},
        {"orders",
         {"id", "user_id", "ticket_id", "status", "expires_at", "version", "created_at"},
         "id"},
    };
}

}  // namespace ticketing::orders

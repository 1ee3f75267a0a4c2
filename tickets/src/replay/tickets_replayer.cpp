#include "replay/tickets_replayer.hpp"

#include "common/db/database.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

#include "storage/ticket_store.hpp"

namespace ticketing::tickets {
namespace {

long long OccurredAtMs(const bus::StoredEvent& e) {
    auto t = util::ParseIso8601(e.occurred_at);
    return t ? static_cast<long long>(util::ToEpochMs(*t)) : 0;
}

}  // namespace

std::vector<std::string> TicketsReplayer::Tables() const {
    return {"cancelled_orders", "tickets"};
}

service::EventReplayer::Outcome TicketsReplayer::Apply(soci::session& tx,
                                                       const bus::StoredEvent& e) {
    if (e.subject == events::kTicketCreated.name) {
        auto t = events::Decode<events::TicketCreated>(e.payload);
        long long price = t.price, version = t.version, created_at = OccurredAtMs(e);
        soci::statement st =
            (tx.prepare << "INSERT INTO tickets (id, title, price, user_id, order_id, version, "
                           "created_at) VALUES (:id, :title, :price, :user_id, NULL, :version, "
                           ":created_at) ON CONFLICT DO NOTHING",
             soci::use(t.id),
             soci::use(t.title),
             soci::use(price),
             soci::use(t.user_id),
             soci::use(version),
             soci::use(created_at));
        st.execute(true);
        return st.get_affected_rows() == 1 ? Outcome::kApplied : Outcome::kSkipped;
    }
    if (e.subject == events::kTicketUpdated.name) {
        auto t = events::Decode<events::TicketUpdated>(e.payload);
        Ticket next{t.id, t.title, t.price, t.user_id, t.order_id, t.version, {}};
        return TicketStore::Update(tx, next, t.version - 1) ? Outcome::kApplied : Outcome::kSkipped;
    }
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        TicketStore::RecordCancelledOrder(tx, o.id, o.ticket.id);
        return Outcome::kApplied;
    }
    return Outcome::kSkipped;
}

std::vector<db::TableDump> DumpTables() {
    return {
        {"tickets", {"id", "title", "price", "user_id", "order_id", "version", "created_at"}, "id"},
        {"cancelled_orders", {"order_id", "ticket_id"}, "order_id"},
    };
}

}  // namespace ticketing::tickets

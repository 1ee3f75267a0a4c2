#include "replay/tickets_replayer.hpp"

#include <algorithm>

#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

namespace ticketing::tickets {
namespace {

// Rows per INSERT statement execution (SOCI binds vectors: one prepare per chunk).
constexpr std::size_t kChunk = 5000;

}  // namespace

std::vector<std::string> TicketsReplayer::Tables() const {
    return {"cancelled_orders", "tickets"};
}

service::EventReplayer::Outcome TicketsReplayer::Apply(const bus::StoredEvent& e) {
    if (e.subject == events::kTicketCreated.name) {
        auto t = events::Decode<events::TicketCreated>(e.payload);
        auto created_at = util::ParseIso8601(e.occurred_at).value_or(util::TimePoint{});
        bool added =
            tickets_
                .try_emplace(t.id,
                             Ticket{t.id, t.title, t.price, t.user_id, {}, t.version, created_at, false})
                .second;
        return added ? Outcome::kApplied : Outcome::kSkipped;
    }
    if (e.subject == events::kTicketUpdated.name) {
        auto t = events::Decode<events::TicketUpdated>(e.payload);
        return service::ApplyNextVersion(tickets_, t.id, t.version, [&](Ticket& ticket) {
            ticket.title = t.title;
            ticket.price = t.price;
            ticket.order_id = t.order_id;
        });
    }
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        cancelled_orders_.try_emplace(o.id, o.ticket.id);
        return Outcome::kApplied;
    }
    if (e.subject == events::kOrderCompleted.name) {
        // As the listener: sold when this order still holds the ticket. The holding order is
        // known only once the log's ticket:updated events up to the completion are applied,
        // so this is settled in Write() against the final state (an order that completed
        // keeps the ticket for good).
        auto o = events::Decode<events::OrderCompleted>(e.payload);
        completed_orders_.try_emplace(o.id, o.ticket.id);
        return Outcome::kApplied;
    }
    return Outcome::kSkipped;
}

void TicketsReplayer::Write(soci::session& tx) {
    for (const auto& [order, ticket_id] : completed_orders_) {
        auto t = tickets_.find(ticket_id);
        if (t != tickets_.end() && t->second.order_id == order) {
            t->second.sold = true;
        }
    }
    std::vector<const Ticket*> rows;
    rows.reserve(tickets_.size());
    for (const auto& [id, t] : tickets_) {
        rows.push_back(&t);
    }
    for (std::size_t begin = 0; begin < rows.size(); begin += kChunk) {
        std::size_t end = std::min(rows.size(), begin + kChunk);
        std::vector<std::string> ids, titles, users, order_ids;
        std::vector<soci::indicator> order_inds;
        std::vector<long long> prices, versions, created, sold;
        for (std::size_t i = begin; i < end; ++i) {
            const Ticket& t = *rows[i];
            ids.push_back(t.id);
            titles.push_back(t.title);
            users.push_back(t.user_id);
            order_ids.push_back(t.order_id.value_or(""));
            order_inds.push_back(t.order_id ? soci::i_ok : soci::i_null);
            prices.push_back(t.price);
            versions.push_back(t.version);
            created.push_back(util::ToEpochMs(t.created_at));
            sold.push_back(t.sold ? 1 : 0);
        }
        tx << "INSERT INTO tickets (id, title, price, user_id, order_id, version, created_at, "
              "sold) VALUES (:id, :title, :price, :user_id, :order_id, :version, :created_at, "
              ":sold)",
            soci::use(ids), soci::use(titles), soci::use(prices), soci::use(users),
            soci::use(order_ids, order_inds), soci::use(versions), soci::use(created),
            soci::use(sold);
    }
    std::vector<std::string> orders, tickets;
    for (const auto& [order, ticket] : cancelled_orders_) {
        orders.push_back(order);
        tickets.push_back(ticket);
    }
    if (!orders.empty()) {
        tx << "INSERT INTO cancelled_orders (order_id, ticket_id) VALUES (:order_id, :ticket_id)",
            soci::use(orders), soci::use(tickets);
    }
}

std::vector<db::TableDump> DumpTables() {
    return {
        {"tickets",
         {"id", "title", "price", "user_id", "order_id", "version", "created_at", "sold"},
         "id"},
        {"cancelled_orders", {"order_id", "ticket_id"}, "order_id"},
    };
}

}  // namespace ticketing::tickets

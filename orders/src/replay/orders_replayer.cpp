#include "replay/orders_replayer.hpp"

#include <algorithm>

#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

namespace ticketing::orders {
namespace {

// Rows per INSERT statement execution (SOCI binds vectors: one prepare per chunk).
constexpr std::size_t kChunk = 5000;

template <class Map, class F>
void InChunks(const Map& map, F&& write_chunk) {
    std::vector<const typename Map::mapped_type*> rows;
    rows.reserve(map.size());
    for (const auto& [key, value] : map) {
        rows.push_back(&value);
    }
    for (std::size_t begin = 0; begin < rows.size(); begin += kChunk) {
        write_chunk(std::span(rows).subspan(begin, std::min(kChunk, rows.size() - begin)));
    }
}

}  // namespace

std::vector<std::string> OrdersReplayer::Tables() const {
    return {"orders", "tickets"};  // orders first: they refer to the replica
}

service::EventReplayer::Outcome OrdersReplayer::Apply(const bus::StoredEvent& e) {
    auto outcome = [](bool applied) { return applied ? Outcome::kApplied : Outcome::kSkipped; };
    if (e.subject == events::kTicketCreated.name) {
        auto t = events::Decode<events::TicketCreated>(e.payload);
        return outcome(
            tickets_.try_emplace(t.id, Ticket{t.id, t.title, t.price, t.version}).second);
    }
    if (e.subject == events::kTicketUpdated.name) {
        auto t = events::Decode<events::TicketUpdated>(e.payload);
        return service::ApplyNextVersion(tickets_, t.id, t.version, [&](Ticket& ticket) {
            ticket.title = t.title;
            ticket.price = t.price;
        });
    }
    if (e.subject == events::kOrderCreated.name) {
        auto o = events::Decode<events::OrderCreated>(e.payload);
        if (!tickets_.contains(o.ticket.id)) {
            return Outcome::kSkipped;  // as live: an order of a ticket unknown here is refused
        }
        Order order;
        order.id = o.id;
        order.user_id = o.user_id;
        order.status = o.status;
        order.expires_at = o.expires_at;
        order.version = o.version;
        order.created_at = util::ParseIso8601(e.occurred_at).value_or(util::TimePoint{});
        order.ticket.id = o.ticket.id;
        return outcome(orders_.try_emplace(o.id, std::move(order)).second);
    }
    auto change_status = [&](const std::string& id, std::int64_t version, OrderStatus status) {
        return service::ApplyNextVersion(
            orders_, id, version, [&](Order& order) { order.status = status; });
    };
    if (e.subject == events::kOrderCancelled.name) {
        auto o = events::Decode<events::OrderCancelled>(e.payload);
        return change_status(o.id, o.version, OrderStatus::kCancelled);
    }
    if (e.subject == events::kOrderCompleted.name) {
        auto o = events::Decode<events::OrderCompleted>(e.payload);
        return change_status(o.id, o.version, OrderStatus::kComplete);
    }
    return Outcome::kSkipped;
}

void OrdersReplayer::Write(soci::session& tx) {
    InChunks(tickets_, [&](std::span<const Ticket* const> rows) {
        std::vector<std::string> ids, titles;
        std::vector<long long> prices, versions;
        for (const Ticket* t : rows) {
            ids.push_back(t->id);
            titles.push_back(t->title);
            prices.push_back(t->price);
            versions.push_back(t->version);
        }
        tx << "INSERT INTO tickets (id, title, price, version) "
              "VALUES (:id, :title, :price, :version)",
            soci::use(ids), soci::use(titles), soci::use(prices), soci::use(versions);
    });
    InChunks(orders_, [&](std::span<const Order* const> rows) {
        std::vector<std::string> ids, users, tickets, statuses;
        std::vector<long long> expires, versions, created;
        for (const Order* o : rows) {
            ids.push_back(o->id);
            users.push_back(o->user_id);
            tickets.push_back(o->ticket.id);
            statuses.emplace_back(events::ToString(o->status));
            expires.push_back(util::ToEpochMs(o->expires_at));
            versions.push_back(o->version);
            created.push_back(util::ToEpochMs(o->created_at));
        }
        tx << "INSERT INTO orders (id, user_id, ticket_id, status, expires_at, version, "
              "created_at) VALUES (:id, :user_id, :ticket_id, :status, :expires_at, :version, "
              ":created_at)",
            soci::use(ids), soci::use(users), soci::use(tickets), soci::use(statuses),
            soci::use(expires), soci::use(versions), soci::use(created);
    });
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

#include "common/testing/tickets/in_memory_tickets.hpp"

namespace ticketing::test {

using tickets::Ticket;

void InMemoryTicketRepository::Insert(const Ticket& ticket) {
    if (!data().tickets.emplace(ticket.id, ticket).second) {
        throw std::logic_error("ticket " + ticket.id + " inserted twice");  // a primary key
    }
}

std::optional<Ticket> InMemoryTicketRepository::Find(const std::string& id) {
    auto it = data().tickets.find(id);
    return it == data().tickets.end() ? std::nullopt : std::optional<Ticket>(it->second);
}

std::vector<Ticket> InMemoryTicketRepository::Page(const tickets::PageRequest& page,
                                                   const std::function<bool(const Ticket&)>& keep) {
    const auto& all = data().tickets;
    std::vector<Ticket> out;
    auto take = [&](const Ticket& t) {
        if (keep(t)) {
            out.push_back(t);
        }
        return out.size() < page.limit;
    };
    if (page.oldest_first) {
        for (auto it = all.upper_bound(page.after); it != all.end() && take(it->second); ++it) {
        }
    } else {
        auto end = page.before.empty() ? all.end() : all.lower_bound(page.before);
        for (auto it = std::make_reverse_iterator(end); it != all.rend() && take(it->second);
             ++it) {
        }
    }
    return out;
}

std::vector<Ticket> InMemoryTicketRepository::ListUnreserved(const tickets::PageRequest& page) {
    return Page(page, [](const Ticket& t) { return !t.IsReserved(); });
}

std::vector<Ticket> InMemoryTicketRepository::ListOfSeller(const std::string& user_id,
                                                           const tickets::PageRequest& page) {
    return Page(page, [&](const Ticket& t) { return t.user_id == user_id; });
}

bool InMemoryTicketRepository::Update(const Ticket& next, std::int64_t expected_version) {
    if (lose_next_updates_ > 0) {
        --lose_next_updates_;
        return false;
    }
    auto it = data().tickets.find(next.id);
    if (it == data().tickets.end() || it->second.version != expected_version) {
        return false;
    }
    it->second.title = next.title;
    it->second.price = next.price;
    it->second.order_id = next.order_id;
    it->second.version = next.version;
    return true;
}

bool InMemoryTicketRepository::MarkSold(const std::string& ticket_id, const std::string& order_id) {
    auto it = data().tickets.find(ticket_id);
    if (it == data().tickets.end() || it->second.order_id != order_id || it->second.sold) {
        return false;
    }
    it->second.sold = true;
    return true;
}

void InMemoryTicketRepository::RecordCancelledOrder(const std::string& order_id,
                                                    const std::string& ticket_id) {
    data().cancelled_orders.emplace(order_id, ticket_id);
}

bool InMemoryTicketRepository::IsOrderCancelled(const std::string& order_id) {
    return data().cancelled_orders.contains(order_id);
}

void InMemoryTicketsTransactions::RunOn(
    storage::Outbox& outbox,
    storage::Inbox& inbox,
    const std::function<void(tickets::TicketsUnitOfWork&)>& work) {
    class UnitOfWork final : public storage::BasicUnitOfWork<tickets::TicketsUnitOfWork> {
    public:
        UnitOfWork(InMemoryTicketRepository& tickets, storage::Outbox& o, storage::Inbox& i)
            : BasicUnitOfWork(o, i), tickets_(tickets) {}
        tickets::TicketRepository& tickets() override { return tickets_; }

    private:
        InMemoryTicketRepository& tickets_;
    } uow(tickets_, outbox, inbox);
    work(uow);
}

}  // namespace ticketing::test

#include "common/testing/orders/in_memory_orders.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace ticketing::test {

using orders::Order;
using orders::OrderStatus;
using orders::Ticket;

std::optional<Ticket> InMemoryTicketReplicaRepository::Find(const std::string& id) {
    auto it = data().find(id);
    return it == data().end() ? std::nullopt : std::optional<Ticket>(it->second);
}

bool InMemoryTicketReplicaRepository::Insert(const Ticket& ticket) {
    return data().emplace(ticket.id, ticket).second;
}

bool InMemoryTicketReplicaRepository::UpdateFromPrevious(const Ticket& ticket) {
    auto it = data().find(ticket.id);
    if (it == data().end() || it->second.version != ticket.version - 1) {
        return false;
    }
    it->second = ticket;
    return true;
}

Order InMemoryOrderRepository::WithTicket(Order order) {
    order.ticket = tickets_.Find(order.ticket.id).value();
    return order;
}

bool InMemoryOrderRepository::Insert(const Order& order) {
    if (!tickets_.Find(order.ticket.id)) {
        throw std::logic_error("order " + order.id + " of an unknown ticket");  // a foreign key
    }
    // orders_one_active_per_ticket: created, awaiting:payment and complete orders hold it.
    const bool taken = std::any_of(data().begin(), data().end(), [&](const auto& entry) {
        const Order& other = entry.second;
        return other.ticket.id == order.ticket.id && other.status != OrderStatus::kCancelled;
    });
    if (taken || data().contains(order.id)) {
        return false;
    }
    Order stored = order;
    stored.ticket = Ticket{order.ticket.id, "", 0, 0};  // only the id: read back from the replica
    data().emplace(order.id, stored);
    return true;
}

std::optional<Order> InMemoryOrderRepository::Find(const std::string& id) {
    auto it = data().find(id);
    return it == data().end() ? std::nullopt : std::optional<Order>(WithTicket(it->second));
}

std::vector<Order> InMemoryOrderRepository::OfUser(const std::string& user_id) {
    std::vector<Order> out;
    for (const auto& [id, order] : data()) {
        if (order.user_id == user_id) {
            out.push_back(WithTicket(order));
        }
    }
    std::sort(out.begin(), out.end(), [](const Order& a, const Order& b) {
        return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return out;
}

bool InMemoryOrderRepository::UpdateStatus(const std::string& id,
                                           OrderStatus status,
                                           std::int64_t expected_version) {
    if (lose_next_status_updates_ > 0) {
        --lose_next_status_updates_;
        return false;
    }
    auto it = data().find(id);
    if (it == data().end() || it->second.version != expected_version) {
        return false;
    }
    it->second.status = status;
    it->second.version = expected_version + 1;
    return true;
}

void InMemoryOrdersTransactions::RunOn(storage::Outbox& outbox,
                                       storage::Inbox& inbox,
                                       const std::function<void(orders::OrdersUnitOfWork&)>& work) {
    class UnitOfWork final : public storage::BasicUnitOfWork<orders::OrdersUnitOfWork> {
    public:
        UnitOfWork(InMemoryOrderRepository& orders,
                   InMemoryTicketReplicaRepository& tickets,
                   storage::Outbox& o,
                   storage::Inbox& i)
            : BasicUnitOfWork(o, i), orders_(orders), tickets_(tickets) {}
        orders::OrderRepository& orders() override { return orders_; }
        orders::TicketReplicaRepository& tickets() override { return tickets_; }

    private:
        InMemoryOrderRepository& orders_;
        InMemoryTicketReplicaRepository& tickets_;
    } uow(orders_, tickets_, outbox, inbox);
    work(uow);
}

}  // namespace ticketing::test

// The orders service's storage in memory, for unit tests of OrderService and the listeners, with
// the SQL implementation's rules: InMemoryTicketReplicaRepository (the version rule),
// InMemoryOrderRepository (one active order per ticket, orders read back with their ticket as the
// replica holds it, optimistic status updates) and InMemoryOrdersTransactions, the unit-of-work
// port over both (common/testing/in_memory_unit_of_work.hpp).
//
//     test::InMemoryTicketReplicaRepository tickets;
//     test::InMemoryOrderRepository orders(tickets);
//     test::InMemoryOrdersTransactions transactions(orders, tickets);
//
// Thread-safety: as InMemoryTransactionRunner; inspect the repositories between calls.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/testing/in_memory_unit_of_work.hpp"

#include "storage/orders_unit_of_work.hpp"

namespace ticketing::test {

class InMemoryTicketReplicaRepository final
    : public orders::TicketReplicaRepository,
      public TransactionalState<std::map<std::string, orders::Ticket>> {
public:
    std::optional<orders::Ticket> Find(const std::string& id) override;
    bool Insert(const orders::Ticket& ticket) override;
    bool UpdateFromPrevious(const orders::Ticket& ticket) override;
};

class InMemoryOrderRepository final
    : public orders::OrderRepository,
      public TransactionalState<std::map<std::string, orders::Order>> {
public:
    // Orders refer to the replica's tickets (a foreign key) and are read back with them.
    explicit InMemoryOrderRepository(InMemoryTicketReplicaRepository& tickets)
        : tickets_(tickets) {}

    bool Insert(const orders::Order& order) override;
    std::optional<orders::Order> Find(const std::string& id) override;
    std::vector<orders::Order> OfUser(const std::string& user_id) override;
    bool UpdateStatus(const std::string& id,
                      orders::OrderStatus status,
                      std::int64_t expected_version) override;

    // Failure switch: the next `n` UpdateStatus calls match nothing and write nothing, as when
    // expiration, a payment or the buyer changed the order first (not undone by a rollback).
    void LoseNextStatusUpdates(int n = 1) { lose_next_status_updates_ = n; }

private:
    orders::Order WithTicket(orders::Order order);

    InMemoryTicketReplicaRepository& tickets_;
    int lose_next_status_updates_ = 0;
};

class InMemoryOrdersTransactions final
    : public InMemoryTransactionRunner<orders::OrdersUnitOfWork> {
public:
    InMemoryOrdersTransactions(InMemoryOrderRepository& orders,
                               InMemoryTicketReplicaRepository& tickets)
        : InMemoryTransactionRunner({&orders, &tickets}), orders_(orders), tickets_(tickets) {}

protected:
    void RunOn(storage::Outbox& outbox,
               storage::Inbox& inbox,
               const std::function<void(orders::OrdersUnitOfWork&)>& work) override;

private:
    InMemoryOrderRepository& orders_;
    InMemoryTicketReplicaRepository& tickets_;
};

}  // namespace ticketing::test

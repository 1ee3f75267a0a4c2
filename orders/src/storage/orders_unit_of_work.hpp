// OrdersUnitOfWork: what one unit of work of the orders service offers (the port of
// common/storage/unit_of_work.hpp): its orders, its ticket replica, and the outbox and inbox of
// the same transaction. OrderService and the listeners run their work through
// OrdersTransactions; main() gives them SqlOrdersTransactions, the unit tests
// test::InMemoryOrdersTransactions.
// Thread-safety: see common/storage/unit_of_work.hpp.
#pragma once

#include "common/storage/unit_of_work.hpp"

#include "storage/order_repository.hpp"
#include "storage/ticket_replica_repository.hpp"

namespace ticketing::orders {

class OrdersUnitOfWork : public storage::UnitOfWork {
public:
    virtual OrderRepository& orders() = 0;
    virtual TicketReplicaRepository& tickets() = 0;
};

using OrdersTransactions = storage::TransactionRunner<OrdersUnitOfWork>;

}  // namespace ticketing::orders

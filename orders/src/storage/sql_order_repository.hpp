// The orders service's SQL (tables `orders` and `tickets`, migrations/): SqlOrderRepository and
// SqlTicketReplicaRepository, one statement per call on the session of the unit of work that
// holds them, and SqlOrdersUnitOfWork / SqlOrdersTransactions, which put them into the
// unit-of-work port. Portable between SQLite and PostgreSQL (common/db/database.hpp): the
// partial unique index orders_one_active_per_ticket decides "one active order per ticket" with
// ON CONFLICT DO NOTHING, and every conditional write is checked by its affected-row count.
// Thread-safety: an instance and its session belong to one unit of work.
#pragma once

#include "common/storage/sql_unit_of_work.hpp"

#include "storage/orders_unit_of_work.hpp"

namespace soci {
class session;
}

namespace ticketing::orders {

class SqlOrderRepository final : public OrderRepository {
public:
    explicit SqlOrderRepository(soci::session& session) : session_(session) {}

    bool Insert(const Order& order) override;
    std::optional<Order> Find(const std::string& id) override;
    std::vector<Order> OfUser(const std::string& user_id) override;
    bool UpdateStatus(const std::string& id,
                      OrderStatus status,
                      std::int64_t expected_version) override;

private:
    soci::session& session_;
};

class SqlTicketReplicaRepository final : public TicketReplicaRepository {
public:
    explicit SqlTicketReplicaRepository(soci::session& session) : session_(session) {}

    std::optional<Ticket> Find(const std::string& id) override;
    bool Insert(const Ticket& ticket) override;
    bool UpdateFromPrevious(const Ticket& ticket) override;

private:
    soci::session& session_;
};

class SqlOrdersUnitOfWork final : public storage::BasicUnitOfWork<OrdersUnitOfWork> {
public:
    SqlOrdersUnitOfWork(soci::session& session, storage::Outbox& outbox, storage::Inbox& inbox)
        : BasicUnitOfWork(outbox, inbox), orders_(session), tickets_(session) {}
    OrderRepository& orders() override { return orders_; }
    TicketReplicaRepository& tickets() override { return tickets_; }

private:
    SqlOrderRepository orders_;
    SqlTicketReplicaRepository tickets_;
};

using SqlOrdersTransactions = storage::SqlTransactionRunner<OrdersUnitOfWork, SqlOrdersUnitOfWork>;

}  // namespace ticketing::orders

// SqlTicketRepository: TicketRepository in SQL (tables `tickets` and `cancelled_orders`,
// migrations/), one statement per call on the session of the unit of work that holds it.
// Portable between SQLite and PostgreSQL (common/db/database.hpp): keyset pages served by the
// partial index tickets_unreserved and the index tickets_user, optimistic updates checked by
// their affected-row count, ON CONFLICT DO NOTHING rather than a failed insert.
// SqlTicketsUnitOfWork and SqlTicketsTransactions put it into the unit-of-work port.
// Thread-safety: an instance and its session belong to one unit of work.
#pragma once

#include "common/bus/outbox.hpp"
#include "common/storage/sql_unit_of_work.hpp"

#include "storage/ticket_repository.hpp"
#include "storage/tickets_unit_of_work.hpp"

namespace soci {
class session;
}

namespace ticketing::tickets {

class SqlTicketRepository final : public TicketRepository {
public:
    explicit SqlTicketRepository(soci::session& session) : session_(session) {}

    void Insert(const Ticket& ticket) override;
    std::optional<Ticket> Find(const std::string& id) override;
    std::optional<Ticket> FindForUpdate(const std::string& id) override;
    std::vector<Ticket> ListUnreserved(const PageRequest& page) override;
    std::vector<Ticket> ListOfSeller(const std::string& user_id, const PageRequest& page) override;
    bool Update(const Ticket& next, std::int64_t expected_version) override;
    bool MarkSold(const std::string& ticket_id, const std::string& order_id) override;
    void RecordCancelledOrder(const std::string& order_id, const std::string& ticket_id) override;
    bool IsOrderCancelled(const std::string& order_id) override;

    // How the outbox relay prunes `cancelled_orders` (after INBOX_RETENTION_SECONDS, like the
    // inbox: an order:created that arrives later than that is past any redelivery the inbox
    // guards).
    static bus::RetentionRule CancelledOrdersRetention() {
        return {"cancelled_orders", "order_id", "cancelled_at"};
    }

private:
    soci::session& session_;
};

class SqlTicketsUnitOfWork final : public storage::BasicUnitOfWork<TicketsUnitOfWork> {
public:
    SqlTicketsUnitOfWork(soci::session& session, storage::Outbox& outbox, storage::Inbox& inbox)
        : BasicUnitOfWork(outbox, inbox), tickets_(session) {}
    TicketRepository& tickets() override { return tickets_; }

private:
    SqlTicketRepository tickets_;
};

using SqlTicketsTransactions =
    storage::SqlTransactionRunner<TicketsUnitOfWork, SqlTicketsUnitOfWork>;

}  // namespace ticketing::tickets

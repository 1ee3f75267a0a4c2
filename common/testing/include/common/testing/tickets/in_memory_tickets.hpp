// The tickets service's storage in memory, for unit tests of TicketService and the listeners:
// InMemoryTicketRepository (TicketRepository on maps, with the SQL implementation's rules:
// keyset pages by id, optimistic updates by version) and InMemoryTicketsTransactions, the
// unit-of-work port over it (common/testing/in_memory_unit_of_work.hpp: rollback on a throw or a
// declined event, committed events kept in order).
//
//     test::InMemoryTicketRepository tickets;
//     test::InMemoryTicketsTransactions transactions(tickets);
//     tickets::TicketService service(transactions, clock, ids);
//
// Thread-safety: as InMemoryTransactionRunner; inspect the repository between calls.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/testing/in_memory_unit_of_work.hpp"

#include "storage/tickets_unit_of_work.hpp"

namespace ticketing::test {

struct TicketsTables {
    std::map<std::string, tickets::Ticket> tickets;       // by id, which is time-ordered
    std::map<std::string, std::string> cancelled_orders;  // order id -> ticket id
};

class InMemoryTicketRepository final : public tickets::TicketRepository,
                                       public TransactionalState<TicketsTables> {
public:
    void Insert(const tickets::Ticket& ticket) override;
    std::optional<tickets::Ticket> Find(const std::string& id) override;
    // Find: the in-memory transactions run one at a time already.
    std::optional<tickets::Ticket> FindForUpdate(const std::string& id) override {
        return Find(id);
    }
    std::vector<tickets::Ticket> ListUnreserved(const tickets::PageRequest& page) override;
    std::vector<tickets::Ticket> ListOfSeller(const std::string& user_id,
                                              const tickets::PageRequest& page) override;
    bool Update(const tickets::Ticket& next, std::int64_t expected_version) override;
    bool MarkSold(const std::string& ticket_id, const std::string& order_id) override;
    void RecordCancelledOrder(const std::string& order_id, const std::string& ticket_id) override;
    bool IsOrderCancelled(const std::string& order_id) override;

    // Failure switch: the next `n` Update calls match no row and write nothing, as when another
    // writer changed the ticket first (not undone by a rollback: the other writer committed).
    void LoseNextUpdates(int n = 1) { lose_next_updates_ = n; }

private:
    std::vector<tickets::Ticket> Page(const tickets::PageRequest& page,
                                      const std::function<bool(const tickets::Ticket&)>& keep);

    int lose_next_updates_ = 0;
};

class InMemoryTicketsTransactions final
    : public InMemoryTransactionRunner<tickets::TicketsUnitOfWork> {
public:
    explicit InMemoryTicketsTransactions(InMemoryTicketRepository& tickets)
        : InMemoryTransactionRunner({&tickets}), tickets_(tickets) {}

protected:
    void RunOn(storage::Outbox& outbox,
               storage::Inbox& inbox,
               const std::function<void(tickets::TicketsUnitOfWork&)>& work) override;

private:
    InMemoryTicketRepository& tickets_;
};

}  // namespace ticketing::test

// TicketService: the rules of creating, listing, showing and editing tickets (DESIGN.md
// section 4, tickets table). Every change writes the ticket and its event (ticket:created /
// ticket:updated, full state and version) in one unit of work, through its outbox. Edits are
// optimistic: the write applies only over the version it read; on a lost race it re-reads,
// re-checks the rules and tries again, up to `max_write_attempts` times, then refuses with
// domain::ConflictError. Storage only through TicketsTransactions; refusals are domain errors;
// no SQL, HTTP or NATS types.
// Thread-safety: safe from any thread (its collaborators are).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

#include "domain/page.hpp"
#include "domain/ticket.hpp"
#include "storage/tickets_unit_of_work.hpp"

namespace ticketing::tickets {

class TicketService final {
public:
    static constexpr int kDefaultWriteAttempts = 5;

    TicketService(TicketsTransactions& transactions,
                  const util::Clock& clock,
                  util::IdGenerator& ids,
                  int max_write_attempts = kDefaultWriteAttempts);

    // A new ticket at version 0, free; publishes ticket:created. `title` is valid (trimmed).
    // Does not hold the caller's thread until the commit (TicketsTransactions::RunAsync):
    // done(ticket, nullptr) once it committed, done(ticket, error) when nothing was kept; done
    // may run before this returns or on another thread.
    void CreateAsync(const std::string& user_id,
                     const std::string& title,
                     util::Cents price,
                     const std::string& traceparent,
                     std::function<void(const Ticket&, std::exception_ptr)> done);
    // Unreserved tickets, one page (newest first unless the page asks oldest first).
    std::vector<Ticket> ListUnreserved(const PageRequest& page);
    // The seller's own tickets in every state, one page, in the same order.
    std::vector<Ticket> ListOfSeller(const std::string& user_id, const PageRequest& page);
    // domain::NotFoundError for an unknown or malformed id; reserved tickets are shown too.
    Ticket Get(const std::string& id);
    // NotFoundError; NotOwnerError not the seller; RuleViolation kCannotEditReserved;
    // ConflictError after max_write_attempts lost races. Otherwise title and price replaced,
    // version + 1, ticket:updated.
    Ticket Update(const std::string& user_id,
                  const std::string& id,
                  const std::string& title,
                  util::Cents price,
                  const std::string& traceparent);

    // Writes that lost a race and were retried or refused, since start (for tests).
    std::uint64_t write_conflicts() const { return write_conflicts_.load(); }

private:
    TicketsTransactions& transactions_;
    const util::Clock& clock_;
    util::IdGenerator& ids_;
    int max_write_attempts_;
    std::atomic<std::uint64_t> write_conflicts_{0};
};

}  // namespace ticketing::tickets

#include "domain/ticket_service.hpp"

#include <memory>
#include <optional>

#include "common/domain/errors.hpp"

namespace ticketing::tickets {

TicketService::TicketService(TicketsTransactions& transactions,
                             const util::Clock& clock,
                             util::IdGenerator& ids,
                             int max_write_attempts)
    : transactions_(transactions),
      clock_(clock),
      ids_(ids),
      max_write_attempts_(max_write_attempts < 1 ? 1 : max_write_attempts) {}

void TicketService::CreateAsync(const std::string& user_id,
                                const std::string& title,
                                util::Cents price,
                                const std::string& traceparent,
                                std::function<void(const Ticket&, std::exception_ptr)> done) {
    auto ticket = std::make_shared<const Ticket>(
        Ticket{ids_.NewId(), title, price, user_id, std::nullopt, 0, clock_.Now()});
    transactions_.RunAsync(
        [ticket, traceparent](TicketsUnitOfWork& uow) {
            uow.tickets().Insert(*ticket);
            uow.outbox().Add(CreatedEvent(*ticket), {traceparent, ticket->created_at});
        },
        [ticket, done = std::move(done)](std::exception_ptr error) {
            done(*ticket, std::move(error));
        });
}

std::vector<Ticket> TicketService::ListUnreserved(const PageRequest& page) {
    return transactions_.Read(
        [&](TicketsUnitOfWork& uow) { return uow.tickets().ListUnreserved(page); });
}

std::vector<Ticket> TicketService::ListOfSeller(const std::string& user_id,
                                                const PageRequest& page) {
    return transactions_.Read(
        [&](TicketsUnitOfWork& uow) { return uow.tickets().ListOfSeller(user_id, page); });
}

Ticket TicketService::Get(const std::string& id) {
    if (!util::IsValidId(id)) {
        throw domain::NotFoundError();
    }
    auto ticket =
        transactions_.Read([&](TicketsUnitOfWork& uow) { return uow.tickets().Find(id); });
    if (!ticket) {
        throw domain::NotFoundError();
    }
    return *ticket;
}

Ticket TicketService::Update(const std::string& user_id,
                             const std::string& id,
                             const std::string& title,
                             util::Cents price,
                             const std::string& traceparent) {
    if (!util::IsValidId(id)) {
        throw domain::NotFoundError();
    }
    for (int attempt = 0; attempt < max_write_attempts_; ++attempt) {
        // Read, check and write in one transaction; the write applies only over the version read
        // (on PostgreSQL another transaction may commit in between: then it matches no row).
        auto saved = transactions_.Run([&](TicketsUnitOfWork& uow) -> std::optional<Ticket> {
            auto current = uow.tickets().Find(id);
            if (!current) {
                throw domain::NotFoundError();
            }
            CheckCanEdit(*current, user_id);
            Ticket next = *current;
            next.title = title;
            next.price = price;
            next.version = current->version + 1;
            if (!uow.tickets().Update(next, current->version)) {
                return std::nullopt;
            }
            uow.outbox().Add(UpdatedEvent(next), {traceparent, clock_.Now()});
            return next;
        });
        if (saved) {
            return *saved;
        }
        ++write_conflicts_;  // a newer version won: read it and check the rules again
    }
    throw domain::ConflictError();
}

}  // namespace ticketing::tickets

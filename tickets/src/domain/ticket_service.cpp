#include "domain/ticket_service.hpp"

#include <optional>

#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"
#include "common/http/errors.hpp"

#include "storage/ticket_store.hpp"

namespace ticketing::tickets {

TicketService::TicketService(db::Database& db,
                             const util::Clock& clock,
                             util::IdGenerator& ids,
                             std::function<void()> events_written,
                             int max_write_attempts)
    : db_(db),
      clock_(clock),
      ids_(ids),
      events_written_(std::move(events_written)),
      max_write_attempts_(max_write_attempts < 1 ? 1 : max_write_attempts) {}

Ticket TicketService::Create(const std::string& user_id,
                             const std::string& title,
                             util::Cents price,
                             const std::string& traceparent) {
    const auto now = clock_.Now();
    Ticket ticket{ids_.NewId(), title, price, user_id, std::nullopt, 0, now};
    db_.Transaction([&](soci::session& tx) {
        TicketStore::Insert(tx, ticket);
        bus::Outbox::Add(tx, CreatedEvent(ticket), {traceparent, now});
    });
    if (events_written_) {
        events_written_();
    }
    return ticket;
}

std::vector<Ticket> TicketService::ListUnreserved(const PageRequest& page) {
    return db_.WithSession([&](soci::session& s) { return TicketStore::ListUnreserved(s, page); });
}

std::vector<Ticket> TicketService::ListOfSeller(const std::string& user_id,
                                                const PageRequest& page) {
    return db_.WithSession(
        [&](soci::session& s) { return TicketStore::ListOfSeller(s, user_id, page); });
}

Ticket TicketService::Get(const std::string& id) {
    if (!util::IsValidId(id)) {
        throw http::NotFoundError();
    }
    auto ticket = db_.WithSession([&](soci::session& s) { return TicketStore::Find(s, id); });
    if (!ticket) {
        throw http::NotFoundError();
    }
    return *ticket;
}

Ticket TicketService::Update(const std::string& user_id,
                             const std::string& id,
                             const std::string& title,
                             util::Cents price,
                             const std::string& traceparent) {
    if (!util::IsValidId(id)) {
        throw http::NotFoundError();
    }
    for (int attempt = 0; attempt < max_write_attempts_; ++attempt) {
        // Read, check and write in one transaction; the write applies only over the version read
        // (on PostgreSQL another transaction may commit in between: then it matches no row).
        auto saved = db_.Transaction([&](soci::session& tx) -> std::optional<Ticket> {
            auto current = TicketStore::Find(tx, id);
            if (!current) {
                throw http::NotFoundError();
            }
            CheckCanEdit(*current, user_id);
            Ticket next = *current;
            next.title = title;
            next.price = price;
            next.version = current->version + 1;
            if (!TicketStore::Update(tx, next, current->version)) {
                return std::nullopt;
            }
            bus::Outbox::Add(tx, UpdatedEvent(next), {traceparent, clock_.Now()});
            return next;
        });
        if (saved) {
            if (events_written_) {
                events_written_();
            }
            return *saved;
        }
        ++write_conflicts_;  // a newer version won: read it and check the rules again
    }
    throw http::ConflictError();
}

}  // namespace ticketing::tickets

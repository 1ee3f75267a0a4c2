// The tickets service's routes (DESIGN.md section 4, tickets table), one per file: each checks
// the session where the route needs one, parses and validates, calls TicketService and shapes
// the JSON.
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/ticket_service.hpp"

namespace ticketing::tickets {

// {id, title, price, userId, version, orderId?} (orderId only while reserved).
nlohmann::json ToJson(const Ticket& ticket);
// The same object as JSON text, written directly: what ToJson(ticket).dump() gives, for the
// answers that carry only tickets (one, or a page of them).
void AppendTicketJson(std::string& out, const Ticket& ticket);
// An answer whose body is the one ticket (GET, POST, PUT).
http::Response TicketAnswer(int status, const Ticket& ticket);

http::AsyncHandler CreateTicketHandler(TicketService& service,
                                       const auth::SessionSettings& session);
http::Handler ListTicketsHandler(TicketService& service);
http::Handler ListMyTicketsHandler(TicketService& service, const auth::SessionSettings& session);
http::Handler ShowTicketHandler(TicketService& service);
http::Handler UpdateTicketHandler(TicketService& service, const auth::SessionSettings& session);

// All four routes under /api/tickets; GET /api/tickets/:id (one row) dispatched as `reads`
// (ServiceBuilder::ReadDispatch), POST /api/tickets as `queued_writes`
// (ServiceBuilder::QueuedWriteDispatch): on SQLite it blocks nowhere (its write is queued,
// TicketService::CreateAsync), on PostgreSQL it runs its transaction.
http::Router BuildRouter(TicketService& service,
                         const auth::SessionSettings& session,
                         http::Dispatch reads,
                         http::Dispatch queued_writes);

}  // namespace ticketing::tickets

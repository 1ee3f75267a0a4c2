#include "handlers/handlers.hpp"

namespace ticketing::tickets {

http::Router BuildRouter(TicketService& service,
                         const auth::SessionSettings& session,
                         http::Dispatch reads,
                         http::Dispatch queued_writes) {
    http::Router router;
    router.PostAsync("/api/tickets", CreateTicketHandler(service, session), queued_writes);
    // Pages (up to 100 rows to read and serialise) stay on a worker: inline, they held the I/O
    // thread long enough for other connections to time out.
    router.Get("/api/tickets", ListTicketsHandler(service));
    router.Get("/api/tickets/mine", ListMyTicketsHandler(service, session));  // before :id
    router.Get("/api/tickets/:id", ShowTicketHandler(service), reads);
    router.Put("/api/tickets/:id", UpdateTicketHandler(service, session));
    return router;
}

}  // namespace ticketing::tickets

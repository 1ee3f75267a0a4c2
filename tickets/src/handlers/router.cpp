#include "handlers/handlers.hpp"

namespace ticketing::tickets {

http::Router BuildRouter(TicketService& service,
                         const auth::SessionSettings& session,
                         http::Dispatch reads) {
    http::Router router;
    router.Post("/api/tickets", CreateTicketHandler(service, session));
    router.Get("/api/tickets", ListTicketsHandler(service), reads);
    router.Get("/api/tickets/mine", ListMyTicketsHandler(service, session), reads);  // before :id
    router.Get("/api/tickets/:id", ShowTicketHandler(service), reads);
    router.Put("/api/tickets/:id", UpdateTicketHandler(service, session));
    return router;
}

}  // namespace ticketing::tickets

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

http::Router BuildRouter(TicketService& service, const auth::SessionSettings& session) {
    http::Router router;
    router.Post("/api/tickets", CreateTicketHandler(service, session));
    router.Get("/api/tickets", ListTicketsHandler(service));
    router.Get("/api/tickets/mine", ListMyTicketsHandler(service, session));  // before :id
    router.Get("/api/tickets/:id", ShowTicketHandler(service));
    router.Put("/api/tickets/:id", UpdateTicketHandler(service, session));
    return router;
}

}  // namespace ticketing::tickets

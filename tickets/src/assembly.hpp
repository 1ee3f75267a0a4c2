// How the tickets service is put together on a ServiceBuilder: its database and bus, the
// TicketService, the listeners and the routes. main() and the integration fixtures both call it,
// so what the tests run is what the binary runs.
// Thread-safety: call once, from the thread that builds.
#pragma once

#include "common/service/service_builder.hpp"

#include "domain/ticket_service.hpp"

namespace ticketing::tickets {

// Opens the database, connects the bus, makes the service's parts (owned by `b`) and registers
// the listeners and routes; `b.Start()` or `b.Serve()` runs them. Returns the domain service.
TicketService& Assemble(service::ServiceBuilder& b);

}  // namespace ticketing::tickets

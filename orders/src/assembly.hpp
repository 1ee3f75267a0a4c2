// How the orders service is put together on a ServiceBuilder: its database and bus, the
// OrderService, the listeners and the routes. main() and the integration fixtures both call it,
// so what the tests run is what the binary runs.
// Thread-safety: call once, from the thread that builds.
#pragma once

#include <chrono>

#include "common/service/service_builder.hpp"

#include "domain/order_service.hpp"

namespace ticketing::orders {

struct Settings {
    std::chrono::seconds expiration_window{900};  // EXPIRATION_WINDOW_SECONDS
};

// Opens the database, connects the bus, makes the service's parts (owned by `b`) and registers
// the listeners and routes; `b.Start()` or `b.Serve()` runs them. Returns the domain service.
OrderService& Assemble(service::ServiceBuilder& b, const Settings& settings);

}  // namespace ticketing::orders

// How the payments service is put together on a ServiceBuilder: its database and bus, the
// metered gateway, the PaymentService, the recovery worker, the listeners and the routes.
// main() and the integration fixtures both call it, so what the tests run is what the binary
// runs (the fixtures bring their own gateway).
// Thread-safety: call once, from the thread that builds.
#pragma once

#include <chrono>

#include "common/service/service_builder.hpp"

#include "domain/payment_gateway.hpp"
#include "domain/payment_service.hpp"
#include "handlers/handlers.hpp"

namespace ticketing::payments {

struct Settings {
    PublicPaymentConfig public_config;  // what GET /api/payments/config tells the storefront
    std::chrono::milliseconds recovery_interval{std::chrono::seconds(30)};
};

// Opens the database, connects the bus, makes the service's parts (owned by `b`) on `gateway`
// (which must outlive `b`) and registers the worker, listeners and routes; `b.Start()` or
// `b.Serve()` runs them. Returns the domain service.
PaymentService& Assemble(service::ServiceBuilder& b,
                         PaymentGateway& gateway,
                         const Settings& settings);

}  // namespace ticketing::payments

#include "handlers/handlers.hpp"

namespace ticketing::payments {

http::Router BuildRouter(PaymentService& service,
                         const auth::SessionSettings& session,
                         PublicPaymentConfig config) {
    http::Router router;
    router.Post("/api/payments", CreatePaymentHandler(service, session));
    router.Get("/api/payments/config", PaymentConfigHandler(std::move(config)));  // before :id
    router.Get("/api/payments/:id", ShowPaymentHandler(service, session));
    return router;
}

}  // namespace ticketing::payments

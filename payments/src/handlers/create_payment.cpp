#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::payments {

nlohmann::json ToJson(const Payment& p) {
    return {{"id", p.id}, {"orderId", p.order_id}, {"stripeId", p.stripe_id}};
}

// POST /api/payments {token, orderId} → 201 payment; checks: 401, token and orderId present,
// then PaymentService::Pay's (404, 401, 400 cancelled, 400 paid or in progress, 402 declined).
http::Handler CreatePaymentHandler(PaymentService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string token = v.RequiredString("token", "Token is required");
        // Stripe's tokens and payment method ids are short; nothing longer is a token.
        if (token.size() > 255) {
            v.Fail("token", "Token must be at most 255 characters");
        }
        std::string order_id = v.Id("orderId", "OrderId is required");
        v.Check();
        Payment payment = service.Pay(user.id, order_id, token, req.traceparent());
        return http::Response::Json(201, ToJson(payment));
    };
}

}  // namespace ticketing::payments

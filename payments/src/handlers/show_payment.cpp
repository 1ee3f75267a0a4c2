#include <nlohmann/json.hpp>

#include "handlers/handlers.hpp"

namespace ticketing::payments {

nlohmann::json ToStatusJson(const Payment& p) {
    return {{"id", p.id},
            {"orderId", p.order_id},
            {"stripeId", p.stripe_id},
            {"status", ToString(p.status)},
            {"amount", p.amount}};
}

// GET /api/payments/:id → 200 {id, orderId, stripeId, status, amount}; checks: 401, 404, 401
// another user's payment (PaymentService::Find).
http::Handler ShowPaymentHandler(PaymentService& service, const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req) {
        auto user = auth::RequireAuth(req, session);
        return http::Response::Json(200, ToStatusJson(service.Find(user.id, req.Param("id"))));
    };
}

http::Handler PaymentConfigHandler(PublicPaymentConfig config) {
    return [config = std::move(config)](http::Request&) {
        nlohmann::json body = {{"gateway", config.gateway}};
        if (config.gateway == "stripe" && !config.publishable_key.empty()) {
            body["publishableKey"] = config.publishable_key;
        }
        return http::Response::Json(200, body);
    };
}

}  // namespace ticketing::payments

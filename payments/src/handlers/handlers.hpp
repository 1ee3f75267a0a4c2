// The payments service's routes (DESIGN.md section 4, payments table), one per file: each checks
// the session, parses, calls PaymentService and shapes the JSON.
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/payment_service.hpp"

namespace ticketing::payments {

// {id, orderId, stripeId}
nlohmann::json ToJson(const Payment& payment);
// {id, orderId, stripeId, status, amount}
nlohmann::json ToStatusJson(const Payment& payment);

// What the storefront needs to show the right pay form (GET /api/payments/config): the gateway
// and, for stripe, the publishable key Stripe.js takes. Nothing secret.
struct PublicPaymentConfig {
    std::string gateway = "sandbox";
    std::string publishable_key;  // "pk_..."; only with stripe
};

http::Handler CreatePaymentHandler(PaymentService& service, const auth::SessionSettings& session);
http::Handler ShowPaymentHandler(PaymentService& service, const auth::SessionSettings& session);
// GET /api/payments/config → 200 {gateway} or {gateway, publishableKey}; no session needed.
http::Handler PaymentConfigHandler(PublicPaymentConfig config);

http::Router BuildRouter(PaymentService& service,
                         const auth::SessionSettings& session,
                         PublicPaymentConfig config = {});

}  // namespace ticketing::payments

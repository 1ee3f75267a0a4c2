// The payments service's routes (DESIGN.md section 4, payments table), one per file: each checks
// the session, parses, calls PaymentService and shapes the JSON.
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/payment_service.hpp"

namespace ticketing::payments {

// {id, orderId, stripeId}
nlohmann::json ToJson(const Payment& payment);
// {id, orderId, stripeId, status, amount}
nlohmann::json ToStatusJson(const Payment& payment);

http::Handler CreatePaymentHandler(PaymentService& service, const auth::SessionSettings& session);
http::Handler ShowPaymentHandler(PaymentService& service, const auth::SessionSettings& session);

http::Router BuildRouter(PaymentService& service, const auth::SessionSettings& session);

}  // namespace ticketing::payments

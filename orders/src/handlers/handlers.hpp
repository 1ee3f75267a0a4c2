// The orders service's routes (DESIGN.md section 4, orders table), one per file: each checks
// the session, parses, calls OrderService and shapes the JSON.
// Thread-safety: the handlers hold references to thread-safe collaborators only.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/auth/session.hpp"
#include "common/http/router.hpp"

#include "domain/order_service.hpp"

namespace ticketing::orders {

// {id, userId, status, expiresAt, version, ticket: {id, title, price, version}}
nlohmann::json ToJson(const Order& order);
// The same JSON written straight to `out`, exactly as ToJson(order).dump() (issue 20: the answer
// of every order route without building an nlohmann object first).
void AppendOrderJson(std::string& out, const Order& order);
http::Response OrderAnswer(int status, const Order& order);

http::AsyncHandler CreateOrderHandler(OrderService& service,
                                      const auth::SessionSettings& session);
http::Handler ListOrdersHandler(OrderService& service, const auth::SessionSettings& session);
http::Handler ShowOrderHandler(OrderService& service, const auth::SessionSettings& session);
http::Handler CancelOrderHandler(OrderService& service, const auth::SessionSettings& session);

// The routes under /api/orders; GET /api/orders/:id (one row) dispatched as `reads`
// (ServiceBuilder::ReadDispatch), POST /api/orders as `queued_writes`
// (ServiceBuilder::QueuedWriteDispatch: its write queued on SQLite).
http::Router BuildRouter(OrderService& service,
                         const auth::SessionSettings& session,
                         http::Dispatch reads,
                         http::Dispatch queued_writes);

}  // namespace ticketing::orders

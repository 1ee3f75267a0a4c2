// The payments service's records: its replica of an order, a payment attempt (one claimed try at
// charging an order) and a payment (a succeeded charge, refunded when its order was cancelled).
// Pure data.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/events/events.hpp"
#include "common/util/clock.hpp"
#include "common/util/money.hpp"

namespace ticketing::payments {

using events::OrderStatus;

// What payments knows of an order: enough to charge it and to refuse it.
struct OrderReplica {
    std::string id;
    std::string user_id;
    util::Cents price = 0;
    OrderStatus status = OrderStatus::kCreated;
    std::int64_t version = 0;
};

enum class AttemptStatus { kPending, kSucceeded, kFailed };

std::string_view ToString(AttemptStatus status);
std::optional<AttemptStatus> ParseAttemptStatus(std::string_view text);

struct PaymentAttempt {
    std::string id;
    std::string order_id;
    util::Cents amount = 0;
    std::string source;  // the card token; kept only while pending, never logged
    AttemptStatus status = AttemptStatus::kPending;
    std::optional<std::string> charge_id;
    std::optional<std::string> failure;  // the gateway's message for a failed attempt
    util::TimePoint lease_until;
    util::TimePoint created_at;
};

struct Payment {
    std::string id;
    std::string order_id;
    std::string attempt_id;
    std::string stripe_id;
    std::optional<std::string> refund_id;
    util::TimePoint created_at;
};

// The gateway's idempotency keys (DESIGN.md section 4): one charge per attempt, one refund per
// payment, whoever sends them and however often.
inline std::string ChargeIdempotencyKey(const PaymentAttempt& a) {
    return "pay-" + a.order_id + "-" + a.id;
}
inline std::string RefundIdempotencyKey(const Payment& p) {
    return "refund-" + p.id;
}

}  // namespace ticketing::payments

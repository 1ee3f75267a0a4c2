// The payments service's records: its replica of an order, a payment attempt (one claimed try at
// authorising an order's price on a card) and a payment (a succeeded authorisation, captured when
// its order completes, released when it is cancelled).
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
    bool operator==(const OrderReplica&) const = default;
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
    bool operator==(const PaymentAttempt&) const = default;
};

// authorized → captured (order completed) | released (order cancelled) | failed (the gateway
// refused the capture or release for good; `failure` says why).
enum class PaymentStatus { kAuthorized, kCaptured, kReleased, kFailed };

std::string_view ToString(PaymentStatus status);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text);

struct Payment {
    std::string id;
    std::string order_id;
    std::string attempt_id;
    std::string stripe_id;
    std::optional<std::string> refund_id;  // the release's refund id ("re_...")
    util::TimePoint created_at;
    PaymentStatus status = PaymentStatus::kAuthorized;
    util::Cents amount = 0;
    std::optional<std::string> failure;  // the gateway's message when failed
    bool operator==(const Payment&) const = default;
};

// What happens to an authorised payment: capture (its order completed) or release (cancelled).
enum class Settlement { kCapture, kRelease };

std::string_view ToString(Settlement settlement);

// The gateway's idempotency keys (DESIGN.md section 4): one authorisation per attempt, one
// capture or release per payment, whoever sends them and however often.
inline std::string AuthorizeIdempotencyKey(const PaymentAttempt& a) {
    return "pay-" + a.order_id + "-" + a.id;
}
inline std::string SettlementIdempotencyKey(const Payment& p, Settlement settlement) {
    return (settlement == Settlement::kCapture ? "capture-" : "release-") + p.id;
}

}  // namespace ticketing::payments

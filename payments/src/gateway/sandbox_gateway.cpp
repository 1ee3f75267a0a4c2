#include "gateway/sandbox_gateway.hpp"

#include <utility>

#include "common/payments/stripe_test_tokens.hpp"
#include "common/util/ids.hpp"

namespace ticketing::payments {
namespace {

constexpr std::string_view kIdempotencyMismatch =
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with.";

}  // namespace

ChargeResult SandboxGateway::Authorize(util::Cents amount_cents,
                                       std::string_view currency,
                                       std::string_view source,
                                       std::string_view idempotency_key) {
    std::lock_guard lock(mu_);
    auto known = charges_by_key_.find(idempotency_key);
    if (known != charges_by_key_.end()) {
        const ChargeRequest& r = known->second;
        if (r.amount != amount_cents || r.currency != currency || r.source != source) {
            throw GatewayError(GatewayError::Kind::kInvalid, std::string(kIdempotencyMismatch));
        }
        if (r.charge_id) {
            return {*r.charge_id};
        }
        throw GatewayError(r.error_kind, r.error_message);
    }
    ChargeRequest r;
    r.amount = amount_cents;
    r.currency = currency;
    r.source = source;
    r.error_kind = GatewayError::Kind::kInvalid;
    if (amount_cents <= 0) {
        r.error_message = "Invalid positive integer";
    } else if (currency != "usd") {
        r.error_message = "Invalid currency: " + std::string(currency);
    } else if (IsStripeAuthorizingToken(source)) {
        r.charge_id = "ch_" + util::RandomHex(12);
        holds_.emplace(*r.charge_id, Hold{});
    } else if (const auto* decline = FindStripeDecline(source)) {
        r.error_kind = GatewayError::Kind::kDeclined;
        r.error_message = decline->message;
    } else {
        r.error_message = "Invalid token";
    }
    charges_by_key_.emplace(std::string(idempotency_key), r);
    if (r.charge_id) {
        return {*r.charge_id};
    }
    throw GatewayError(r.error_kind, r.error_message);
}

SandboxGateway::Hold& SandboxGateway::HoldOf(std::string_view charge_id) {
    if (!charge_id.starts_with("ch_")) {
        throw GatewayError(GatewayError::Kind::kInvalid,
                           "No such charge: '" + std::string(charge_id) + "'");
    }
    return holds_.try_emplace(std::string(charge_id)).first->second;
}

void SandboxGateway::Capture(std::string_view charge_id, std::string_view /*idempotency_key*/) {
    // Stripe's answer to a repeated capture under the same key is the same charge, and capturing
    // a captured charge is what the port calls done: both succeed, so the key changes nothing.
    std::lock_guard lock(mu_);
    Hold& hold = HoldOf(charge_id);
    if (hold.state == HoldState::kReleased) {
        throw GatewayError(GatewayError::Kind::kInvalid,
                           "Charge " + std::string(charge_id) + " has already been refunded.");
    }
    hold.state = HoldState::kCaptured;
}

ReleaseResult SandboxGateway::Release(std::string_view charge_id,
                                      std::string_view /*idempotency_key*/) {
    std::lock_guard lock(mu_);
    Hold& hold = HoldOf(charge_id);
    if (hold.state == HoldState::kCaptured) {
        throw GatewayError(GatewayError::Kind::kInvalid,
                           "Charge " + std::string(charge_id) + " has already been captured.");
    }
    if (hold.state == HoldState::kAuthorized) {
        hold.state = HoldState::kReleased;
        hold.refund_id = "re_" + util::RandomHex(12);
    }
    return {hold.refund_id};
}

}  // namespace ticketing::payments

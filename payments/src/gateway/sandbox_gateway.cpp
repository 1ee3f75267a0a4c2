#include "gateway/sandbox_gateway.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/util/ids.hpp"

namespace ticketing::payments {
namespace {

constexpr std::string_view kIdempotencyMismatch =
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with.";

constexpr std::array<std::string_view, 11> kSuccessTokens = {"tok_visa",
                                                             "tok_visa_debit",
                                                             "tok_mastercard",
                                                             "tok_mastercard_debit",
                                                             "tok_mastercard_prepaid",
                                                             "tok_amex",
                                                             "tok_discover",
                                                             "tok_diners",
                                                             "tok_jcb",
                                                             "tok_unionpay",
                                                             "tok_bypassPending"};

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kDeclineTokens = {{
    {"tok_chargeDeclined", "Your card was declined."},
    {"tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
    {"tok_chargeDeclinedFraudulent", "Your card was declined."},
    {"tok_chargeDeclinedLostCard", "Your card was declined."},
    {"tok_chargeDeclinedStolenCard", "Your card was declined."},
    {"tok_chargeDeclinedExpiredCard", "Your card has expired."},
    {"tok_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."},
    {"tok_chargeDeclinedProcessingError",
     "An error occurred while processing your card. Try again in a little bit."},
}};

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
    } else if (std::find(kSuccessTokens.begin(), kSuccessTokens.end(), source) !=
               kSuccessTokens.end()) {
        r.charge_id = "ch_" + util::RandomHex(12);
        holds_.emplace(*r.charge_id, Hold{});
    } else {
        r.error_message = "Invalid token";
        for (const auto& [token, message] : kDeclineTokens) {
            if (token == source) {
                r.error_kind = GatewayError::Kind::kDeclined;
                r.error_message = message;
            }
        }
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

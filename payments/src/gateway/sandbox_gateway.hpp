// SandboxGateway: the default PaymentGateway (PAYMENT_GATEWAY=sandbox). No network; it behaves
// like Stripe with its test tokens, so the system can be run and tested end to end offline:
//   - tok_visa and Stripe's other success tokens (tok_visa_debit, tok_mastercard,
//     tok_mastercard_debit, tok_mastercard_prepaid, tok_amex, tok_discover, tok_diners, tok_jcb,
//     tok_unionpay, tok_bypassPending) charge, giving "ch_..." ids;
//   - tok_chargeDeclined ("Your card was declined.") and the other tok_chargeDeclined* tokens
//     decline with Stripe's messages (kDeclined);
//   - anything else is kInvalid "Invalid token";
//   - the same idempotency key returns the same result (charge or decline); reused with other
//     parameters it is kInvalid, as Stripe answers;
//   - refunds of its own charges give "re_..." ids; a second refund of a charge under another key
//     is kInvalid ("... has already been refunded."), under the same key it is the same refund.
// State lives in memory: a restart forgets charges and keys.
// Thread-safety: safe from any number of threads (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "domain/payment_gateway.hpp"

namespace ticketing::payments {

class SandboxGateway final : public PaymentGateway {
public:
    ChargeResult Charge(util::Cents amount_cents,
                        std::string_view currency,
                        std::string_view source,
                        std::string_view idempotency_key) override;
    std::string Refund(std::string_view charge_id, std::string_view idempotency_key) override;

private:
    struct ChargeRequest {
        util::Cents amount = 0;
        std::string currency;
        std::string source;
        std::optional<std::string> charge_id;  // or the error below
        GatewayError::Kind error_kind = GatewayError::Kind::kInvalid;
        std::string error_message;
    };
    struct RefundRequest {
        std::string charge_id;
        std::string refund_id;
    };

    std::mutex mu_;
    std::map<std::string, ChargeRequest, std::less<>> charges_by_key_;
    std::map<std::string, RefundRequest, std::less<>> refunds_by_key_;
    std::map<std::string, std::optional<std::string>, std::less<>> charges_;  // id → refund id
};

}  // namespace ticketing::payments

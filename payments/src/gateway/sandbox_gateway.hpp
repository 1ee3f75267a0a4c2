// SandboxGateway: the default PaymentGateway (PAYMENT_GATEWAY=sandbox). No network; it behaves
// like Stripe with its test tokens, so the system can be run and tested end to end offline:
//   - tok_visa and Stripe's other authorising test tokens (common/payments/stripe_test_tokens.hpp,
//     shared with test::FakeStripeServer) authorise, giving "ch_..." ids (a hold: uncaptured);
//   - tok_chargeDeclined ("Your card was declined.") and the other declining tokens there
//     decline with Stripe's messages (kDeclined);
//   - anything else is kInvalid "Invalid token";
//   - the same idempotency key returns the same result (authorisation or decline); reused with
//     other parameters it is kInvalid, as Stripe answers;
//   - Capture takes a hold; capturing it again succeeds; capturing a released one is kInvalid
//     ("Charge ch_... has already been refunded.");
//   - Release gives a "re_..." refund id for a hold; releasing it again gives the same refund;
//     releasing a captured charge is kInvalid ("Charge
//     ch_... has already been captured.": a completed order's money is never given back here).
// State lives in memory, per process: a restart forgets charges and keys, and with replicas each
// has its own. So a capture or release of a "ch_" id this process does not know is taken as a
// hold made by another replica (or before a restart) and succeeds; a card is never involved.
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
    ChargeResult Authorize(util::Cents amount_cents,
                           std::string_view currency,
                           std::string_view source,
                           std::string_view idempotency_key) override;
    void Capture(std::string_view charge_id, std::string_view idempotency_key) override;
    ReleaseResult Release(std::string_view charge_id, std::string_view idempotency_key) override;

private:
    struct ChargeRequest {
        util::Cents amount = 0;
        std::string currency;
        std::string source;
        std::optional<std::string> charge_id;  // or the error below
        GatewayError::Kind error_kind = GatewayError::Kind::kInvalid;
        std::string error_message;
    };
    enum class HoldState { kAuthorized, kCaptured, kReleased };
    struct Hold {
        HoldState state = HoldState::kAuthorized;
        std::string refund_id;  // once released
    };

    // The charge's hold, also one another replica made (see above); mu_ held.
    Hold& HoldOf(std::string_view charge_id);

    std::mutex mu_;
    std::map<std::string, ChargeRequest, std::less<>> charges_by_key_;
    std::map<std::string, Hold, std::less<>> holds_;  // charge id → its hold
};

}  // namespace ticketing::payments

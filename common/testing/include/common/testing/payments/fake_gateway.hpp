// FakeGateway: an in-memory payments::PaymentGateway for unit tests of the payments service.
// Records every call, keeps Stripe's idempotency (the same key returns the same authorisation,
// release or decline), treats tokens like the sandbox (tok_chargeDeclined declines, other "tok_"
// tokens authorise, anything else is invalid), captures or releases a hold (again: done already, as
// the port says; capturing a released one or releasing a captured one: kInvalid), and has failure
// switches ("charge" below is an authorisation):
//   FailNextCharge / FailNextCapture / FailNextRelease   the next call fails with the given kind,
//                                     doing nothing;
//   LoseNextChargeAnswer / LoseNextReleaseAnswer   the next call acts, then reports kUnavailable
//                                     (the answer was lost on the way back, as after a timeout);
//   OnCharge(hook)                    runs hook inside every Authorize, before it answers.
// Thread-safety: safe from any thread; the hook runs without the lock held.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/payment_gateway.hpp"

namespace ticketing::test {

class FakeGateway final : public payments::PaymentGateway {
public:
    struct ChargeCall {
        util::Cents amount = 0;
        std::string currency;
        std::string source;
        std::string idempotency_key;
    };
    struct RefundCall {
        std::string charge_id;
        std::string idempotency_key;
    };

    payments::ChargeResult Authorize(util::Cents amount_cents,
                                     std::string_view currency,
                                     std::string_view source,
                                     std::string_view idempotency_key) override;
    void Capture(std::string_view charge_id, std::string_view idempotency_key) override;
    payments::ReleaseResult Release(std::string_view charge_id,
                                    std::string_view idempotency_key) override;

    void FailNextCharge(payments::GatewayError::Kind kind,
                        std::string message = "scripted failure");
    void FailNextCapture(payments::GatewayError::Kind kind,
                         std::string message = "scripted failure");
    void FailNextRelease(payments::GatewayError::Kind kind,
                         std::string message = "scripted failure");
    void LoseNextChargeAnswer();
    void LoseNextReleaseAnswer();
    void OnCharge(std::function<void()> hook);

    std::vector<ChargeCall> ChargeCalls() const;
    std::vector<RefundCall> CaptureCalls() const;
    std::vector<RefundCall> ReleaseCalls() const;
    // Authorisations, captures and releases actually made (idempotent replays and failures not
    // counted).
    std::size_t ChargesMade() const;
    std::size_t CapturesMade() const;
    std::size_t ReleasesMade() const;

private:
    struct ChargeOutcome {
        std::optional<std::string> charge_id;
        std::string decline;
        payments::GatewayError::Kind kind = payments::GatewayError::Kind::kDeclined;
    };

    mutable std::mutex mu_;
    std::vector<ChargeCall> charge_calls_;
    std::vector<RefundCall> refund_calls_;
    std::vector<RefundCall> capture_calls_;
    std::set<std::string, std::less<>> captured_;
    std::map<std::string, ChargeOutcome, std::less<>> charges_by_key_;
    std::map<std::string, std::string, std::less<>> refunds_by_key_;
    std::map<std::string, std::string, std::less<>> refund_of_charge_;
    std::size_t charges_made_ = 0;
    std::optional<payments::GatewayError> fail_next_charge_;
    std::optional<payments::GatewayError> fail_next_refund_;
    std::optional<payments::GatewayError> fail_next_capture_;
    bool lose_next_charge_ = false;
    bool lose_next_refund_ = false;
    std::function<void()> on_charge_;
};

}  // namespace ticketing::test

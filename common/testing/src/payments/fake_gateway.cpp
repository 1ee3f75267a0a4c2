#include "common/testing/payments/fake_gateway.hpp"

namespace ticketing::test {

using payments::ChargeResult;
using payments::GatewayError;
using payments::ReleaseResult;
namespace {

GatewayError Lost() {
    return GatewayError(GatewayError::Kind::kUnavailable, "answer lost");
}

}  // namespace

ChargeResult FakeGateway::Authorize(util::Cents amount_cents,
                                    std::string_view currency,
                                    std::string_view source,
                                    std::string_view idempotency_key) {
    std::function<void()> hook;
    {
        std::lock_guard lock(mu_);
        charge_calls_.push_back({amount_cents,
                                 std::string(currency),
                                 std::string(source),
                                 std::string(idempotency_key)});
        hook = on_charge_;
    }
    if (hook) {
        hook();
    }
    std::lock_guard lock(mu_);
    if (fail_next_charge_) {
        GatewayError e = *fail_next_charge_;
        fail_next_charge_.reset();
        throw e;
    }
    auto it = charges_by_key_.find(idempotency_key);
    if (it == charges_by_key_.end()) {
        ChargeOutcome outcome;
        if (source == "tok_chargeDeclined") {
            outcome.decline = "Your card was declined.";
        } else if (!source.starts_with("tok_")) {
            outcome.kind = GatewayError::Kind::kInvalid;
            outcome.decline = "Invalid token";
        } else {
            outcome.charge_id = "ch_fake" + std::to_string(++charges_made_);
        }
        it = charges_by_key_.emplace(std::string(idempotency_key), outcome).first;
    }
    if (lose_next_charge_) {
        lose_next_charge_ = false;
        throw Lost();
    }
    if (!it->second.charge_id) {
        throw GatewayError(it->second.kind, it->second.decline);
    }
    return {*it->second.charge_id};
}

void FakeGateway::Capture(std::string_view charge_id, std::string_view idempotency_key) {
    std::lock_guard lock(mu_);
    capture_calls_.push_back({std::string(charge_id), std::string(idempotency_key)});
    if (fail_next_capture_) {
        GatewayError e = *fail_next_capture_;
        fail_next_capture_.reset();
        throw e;
    }
    if (refund_of_charge_.contains(charge_id)) {
        throw GatewayError(GatewayError::Kind::kInvalid, "Charge already released");
    }
    captured_.insert(std::string(charge_id));  // again: done already, succeeds
}

ReleaseResult FakeGateway::Release(std::string_view charge_id, std::string_view idempotency_key) {
    std::lock_guard lock(mu_);
    refund_calls_.push_back({std::string(charge_id), std::string(idempotency_key)});
    if (fail_next_refund_) {
        GatewayError e = *fail_next_refund_;
        fail_next_refund_.reset();
        throw e;
    }
    if (captured_.contains(charge_id)) {
        throw GatewayError(GatewayError::Kind::kInvalid, "Charge already captured");
    }
    auto it = refunds_by_key_.find(idempotency_key);
    if (it == refunds_by_key_.end()) {
        if (refund_of_charge_.contains(charge_id)) {
            return {""};  // released already under another key: done
        }
        std::string refund_id = "re_fake" + std::to_string(refund_of_charge_.size() + 1);
        refund_of_charge_.emplace(std::string(charge_id), refund_id);
        it = refunds_by_key_.emplace(std::string(idempotency_key), refund_id).first;
    }
    if (lose_next_refund_) {
        lose_next_refund_ = false;
        throw Lost();
    }
    return {it->second};
}

void FakeGateway::FailNextCapture(GatewayError::Kind kind, std::string message) {
    std::lock_guard lock(mu_);
    fail_next_capture_.emplace(kind, message);
}

std::vector<FakeGateway::RefundCall> FakeGateway::CaptureCalls() const {
    std::lock_guard lock(mu_);
    return capture_calls_;
}

std::size_t FakeGateway::CapturesMade() const {
    std::lock_guard lock(mu_);
    return captured_.size();
}

void FakeGateway::FailNextCharge(GatewayError::Kind kind, std::string message) {
    std::lock_guard lock(mu_);
    fail_next_charge_.emplace(kind, message);
}

void FakeGateway::FailNextRelease(GatewayError::Kind kind, std::string message) {
    std::lock_guard lock(mu_);
    fail_next_refund_.emplace(kind, message);
}

void FakeGateway::LoseNextChargeAnswer() {
    std::lock_guard lock(mu_);
    lose_next_charge_ = true;
}

void FakeGateway::LoseNextReleaseAnswer() {
    std::lock_guard lock(mu_);
    lose_next_refund_ = true;
}

void FakeGateway::OnCharge(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_charge_ = std::move(hook);
}

std::vector<FakeGateway::ChargeCall> FakeGateway::ChargeCalls() const {
    std::lock_guard lock(mu_);
    return charge_calls_;
}

std::vector<FakeGateway::RefundCall> FakeGateway::ReleaseCalls() const {
    std::lock_guard lock(mu_);
    return refund_calls_;
}

std::size_t FakeGateway::ChargesMade() const {
    std::lock_guard lock(mu_);
    return charges_made_;
}

std::size_t FakeGateway::ReleasesMade() const {
    std::lock_guard lock(mu_);
    return refund_of_charge_.size();
}

}  // namespace ticketing::test

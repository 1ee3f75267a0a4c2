// MeteredGateway: a PaymentGateway that forwards to another and counts every call by outcome
// (DESIGN.md section 11, "gateway calls by outcome"):
//   payments_gateway_calls_total{call="authorize|capture|release",
//                                outcome="ok|declined|invalid|unavailable"}
//   payments_gateway_call_duration_seconds{call="authorize|capture|release"}
// main() wraps the configured gateway in one.
// Thread-safety: as safe as the gateway it wraps (metrics are thread-safe).
#pragma once

#include "domain/payment_gateway.hpp"

namespace ticketing::metrics {
class Registry;
class Counter;
class Histogram;
}  // namespace ticketing::metrics

namespace ticketing::payments {

class MeteredGateway final : public PaymentGateway {
public:
    MeteredGateway(PaymentGateway& inner, metrics::Registry& registry);

    ChargeResult Authorize(util::Cents amount_cents,
                           std::string_view currency,
                           std::string_view source,
                           std::string_view idempotency_key) override;
    void Capture(std::string_view charge_id, std::string_view idempotency_key) override;
    ReleaseResult Release(std::string_view charge_id, std::string_view idempotency_key) override;

private:
    template <class F>
    auto Measure(std::string_view call, F&& f);

    PaymentGateway& inner_;
    metrics::Registry& registry_;
};

}  // namespace ticketing::payments

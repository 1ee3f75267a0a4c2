#include "gateway/metered_gateway.hpp"

#include <chrono>
#include <string>

#include "common/metrics/registry.hpp"

namespace ticketing::payments {

MeteredGateway::MeteredGateway(PaymentGateway& inner, metrics::Registry& registry)
    : inner_(inner), registry_(registry) {}

template <class F>
auto MeteredGateway::Measure(std::string_view call, F&& f) {
    auto& calls = registry_.AddCounter("payments_gateway_calls_total",
                                       "Payment gateway calls by call and outcome");
    auto& latency = registry_.AddHistogram("payments_gateway_call_duration_seconds",
                                           "Payment gateway call latency by call");
    const auto start = std::chrono::steady_clock::now();
    auto observe = [&](std::string_view outcome) {
        latency.With({{"call", std::string(call)}})
            .Observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        calls.With({{"call", std::string(call)}, {"outcome", std::string(outcome)}}).Inc();
    };
    try {
        auto result = f();
        observe("ok");
        return result;
    } catch (const GatewayError& e) {
        observe(ToString(e.kind()));
        throw;
    }
}

ChargeResult MeteredGateway::Authorize(util::Cents amount_cents,
                                       std::string_view currency,
                                       std::string_view source,
                                       std::string_view idempotency_key) {
    return Measure("authorize", [&] {
        return inner_.Authorize(amount_cents, currency, source, idempotency_key);
    });
}

void MeteredGateway::Capture(std::string_view charge_id, std::string_view idempotency_key) {
    Measure("capture", [&] {
        inner_.Capture(charge_id, idempotency_key);
        return true;
    });
}

ReleaseResult MeteredGateway::Release(std::string_view charge_id,
                                      std::string_view idempotency_key) {
    return Measure("release", [&] { return inner_.Release(charge_id, idempotency_key); });
}

}  // namespace ticketing::payments

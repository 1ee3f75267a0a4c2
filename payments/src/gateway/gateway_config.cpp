#include "gateway/gateway_config.hpp"

#include "gateway/sandbox_gateway.hpp"
#include "gateway/stripe_gateway.hpp"

namespace ticketing::payments {

GatewayConfig GatewayConfig::FromEnv(config::EnvReader& env) {
    GatewayConfig c;
    // Required (DESIGN.md section 13): a deployment that forgot it must not silently take no
    // money. The local stack and the tests say "sandbox" explicitly.
    if (env.Required("PAYMENT_GATEWAY").empty()) {
        c.kind = "sandbox";
    } else {
        c.kind = env.OneOf("PAYMENT_GATEWAY", "sandbox", {"sandbox", "stripe"});
    }
    c.stripe_api_base = env.Optional("STRIPE_API_BASE", "https://api.stripe.com");
    if (!c.stripe_api_base.starts_with("https://") && !c.stripe_api_base.starts_with("http://")) {
        env.AddProblem("STRIPE_API_BASE must be an http:// or https:// URL");
    }
    if (c.kind == "stripe") {
        c.stripe_key = env.Required("STRIPE_KEY");
    }
    c.stripe_publishable_key = env.Optional("STRIPE_PUBLISHABLE_KEY", "");
    return c;
}

std::unique_ptr<PaymentGateway> MakeGateway(const GatewayConfig& config) {
    if (config.kind == "stripe") {
        StripeOptions options;
        options.api_base = config.stripe_api_base;
        options.api_key = config.stripe_key;
        return std::make_unique<StripeGateway>(options);
    }
    return std::make_unique<SandboxGateway>();
}

}  // namespace ticketing::payments

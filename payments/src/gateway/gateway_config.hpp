// The payments service's own configuration (DESIGN.md section 10): which PaymentGateway to run
// and how to reach Stripe.
//   PAYMENT_GATEWAY   sandbox | stripe, required (no default: forgetting it must not mean that
//                     no money is taken)
//   STRIPE_KEY        required when PAYMENT_GATEWAY=stripe (a secret: never logged or echoed)
//   STRIPE_API_BASE   default https://api.stripe.com; an http:// or https:// URL
//   STRIPE_PUBLISHABLE_KEY  optional: the "pk_..." key the storefront's Stripe.js uses (public)
// Thread-safety: plain values; FromEnv runs in main() only.
#pragma once

#include <memory>
#include <string>

#include "common/config/env.hpp"

#include "domain/payment_gateway.hpp"

namespace ticketing::payments {

struct GatewayConfig {
    std::string kind = "sandbox";
    std::string stripe_key;
    std::string stripe_api_base = "https://api.stripe.com";
    std::string stripe_publishable_key;

    // Records problems in `env` (see config::EnvReader); the caller calls env.Finish().
    static GatewayConfig FromEnv(config::EnvReader& env);
};

// SandboxGateway or StripeGateway, as configured.
std::unique_ptr<PaymentGateway> MakeGateway(const GatewayConfig& config);

}  // namespace ticketing::payments

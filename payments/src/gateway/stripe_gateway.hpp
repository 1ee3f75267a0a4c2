// StripeGateway: the PaymentGateway for PAYMENT_GATEWAY=stripe. Stripe's Charges and Refunds API
// over libcurl, with `Authorization: Bearer <STRIPE_KEY>` and the caller's `Idempotency-Key`:
//   Authorize  POST <api_base>/v1/charges (form: amount, currency, source, capture=false)
//   Capture    POST <api_base>/v1/charges/<id>/capture; Stripe's `charge_already_captured` is
//              success (the port's contract)
//   Release    POST <api_base>/v1/refunds (form: charge), which for an uncaptured charge releases
//              the hold; `charge_already_refunded` is success (no refund id)
// Each try has a connect timeout and a total timeout. Network errors, timeouts and 5xx answers
// are retried with exponential backoff and full jitter, with the same key each time, up to
// max_attempts tries; nothing else is retried (Stripe answered, and would answer the same).
// Answers map to the port's contract (StripeErrorFromResponse): 401/403/409/429 → kUnavailable
// (our key or Stripe's limits, not the buyer's card); card_error (or 402) → kDeclined with
// Stripe's message; invalid_request_error → kInvalid ("Invalid token" when the source was the
// problem, Stripe's message otherwise); anything else, or tries exhausted → kUnavailable.
// Neither the key nor the card token is ever logged or put in an error message.
// Thread-safety: safe from any number of threads (one curl handle per call).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "domain/payment_gateway.hpp"

namespace ticketing::payments {

struct StripeOptions {
    std::string api_base = "https://api.stripe.com";  // STRIPE_API_BASE, no trailing '/'
    std::string api_key;                              // STRIPE_KEY (secret)
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
    std::chrono::milliseconds total_timeout{std::chrono::seconds(20)};  // per try
    int max_attempts = 3;
    std::chrono::milliseconds initial_backoff{250};  // doubles per retry, capped, full jitter
    std::chrono::milliseconds max_backoff{std::chrono::seconds(2)};
};

class StripeGateway final : public PaymentGateway {
public:
    explicit StripeGateway(StripeOptions options);

    ChargeResult Authorize(util::Cents amount_cents,
                           std::string_view currency,
                           std::string_view source,
                           std::string_view idempotency_key) override;
    void Capture(std::string_view charge_id, std::string_view idempotency_key) override;
    ReleaseResult Release(std::string_view charge_id, std::string_view idempotency_key) override;

private:
    using Form = std::vector<std::pair<std::string, std::string>>;
    // POSTs the form with retries; returns the id of the object Stripe answered with, or ""
    // when Stripe refused with the error code `done_code` (what was asked is already so).
    // Throws GatewayError.
    std::string PostForId(const std::string& path,
                          const Form& form,
                          std::string_view key,
                          std::string_view done_code = {});

    StripeOptions options_;
};

// application/x-www-form-urlencoded: unreserved characters as they are, everything else %XX.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// The GatewayError for a Stripe answer that is not a success (status not 2xx).
GatewayError StripeErrorFromResponse(long status, const std::string& body);

// The delay before retry number `retry` (1-based): uniform in [0, min(max, initial * 2^(n-1))].
std::chrono::milliseconds StripeBackoff(const StripeOptions& options, int retry);

}  // namespace ticketing::payments

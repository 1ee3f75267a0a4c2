// PaymentGateway: the port through which the payments service moves money (DESIGN.md section 4,
// "authorise, then capture"): it authorises an amount on a card (a hold, nothing taken yet),
// captures the hold once the order completed, or releases it once the order was cancelled. Implementations: SandboxGateway (Stripe's test-token behaviour, no
// network), StripeGateway (Stripe's HTTP API), MeteredGateway (counts calls around another);
// unit tests use FakeGateway.
// Contract of every implementation:
//   - the same idempotency key returns the same result (the same authorisation, capture or
//     release, or the same decline), so a retried call never acts twice;
//   - capturing a charge captured already, or releasing one released already, succeeds (the
//     goal holds), whatever the key: a settlement repeated after the gateway forgot its key
//     (a replay, a sweep long after) does not become a false failure;
//   - failures are GatewayError with a Kind; a kUnavailable failure leaves it unknown whether
//     the gateway acted, so the caller must retry with the same key, never with a new one.
// Card tokens and API keys never appear in messages or logs.
// Thread-safety: implementations are safe to call from any number of threads.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/util/money.hpp"

namespace ticketing::payments {

class GatewayError final : public std::runtime_error {
public:
    enum class Kind {
        kDeclined,     // the card was declined: 402 with this message
        kInvalid,      // the request can never succeed as sent (bad token): 400 with this message
        kUnavailable,  // network, timeout, 5xx or an unexpected answer: 503; retry, same key
    };

    GatewayError(Kind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

std::string_view ToString(GatewayError::Kind kind);

struct ChargeResult {
    std::string charge_id;  // "ch_..."
};

// What a release did.
struct ReleaseResult {
    std::string refund_id;  // "re_..."; empty when the charge had been released before
};

class PaymentGateway {
public:
    virtual ~PaymentGateway() = default;

    // Authorises `amount_cents` in `currency` ("usd") on `source` (a card token) without
    // capturing it (Stripe: a charge with capture=false). Throws GatewayError.
    virtual ChargeResult Authorize(util::Cents amount_cents,
                                   std::string_view currency,
                                   std::string_view source,
                                   std::string_view idempotency_key) = 0;

    // Captures the whole authorised amount of `charge_id`. Throws GatewayError (kInvalid: it can
    // never be captured, e.g. released or expired).
    virtual void Capture(std::string_view charge_id, std::string_view idempotency_key) = 0;

    // Releases the hold of an uncaptured `charge_id` (Stripe: a refund of the uncaptured charge).
    // Throws GatewayError.
    virtual ReleaseResult Release(std::string_view charge_id, std::string_view idempotency_key) = 0;
};

}  // namespace ticketing::payments

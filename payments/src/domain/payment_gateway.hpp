// PaymentGateway: the port through which the payments service charges cards and refunds charges
// (DESIGN.md section 4). Implementations: SandboxGateway (Stripe's test-token behaviour, no
// network), StripeGateway (Stripe's HTTP API), MeteredGateway (counts calls around another);
// unit tests use FakeGateway.
// Contract of every implementation:
//   - the same idempotency key returns the same result (the same charge or refund, or the same
//     decline), so a retried call never charges or refunds twice;
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

class PaymentGateway {
public:
    virtual ~PaymentGateway() = default;

    // Charges `amount_cents` in `currency` ("usd") to `source` (a card token). Throws
    // GatewayError.
    virtual ChargeResult Charge(util::Cents amount_cents,
                                std::string_view currency,
                                std::string_view source,
                                std::string_view idempotency_key) = 0;

    // Refunds the whole charge; returns the refund id ("re_..."). Throws GatewayError.
    virtual std::string Refund(std::string_view charge_id, std::string_view idempotency_key) = 0;
};

}  // namespace ticketing::payments

// Stripe's test card tokens (https://docs.stripe.com/testing): those that authorise and those
// that decline, with the message Stripe gives. Defined once for the two stand-ins for Stripe:
// the payments service's SandboxGateway and test::FakeStripeServer, so a token means the same to
// both.
// Thread-safety: constants.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace ticketing::payments {

inline constexpr std::array<std::string_view, 11> kStripeAuthorizingTokens = {
    "tok_visa",
    "tok_visa_debit",
    "tok_mastercard",
    "tok_mastercard_debit",
    "tok_mastercard_prepaid",
    "tok_amex",
    "tok_discover",
    "tok_diners",
    "tok_jcb",
    "tok_unionpay",
    "tok_bypassPending"};

struct StripeDecliningToken {
    std::string_view token;
    std::string_view message;
};

inline constexpr std::array<StripeDecliningToken, 8> kStripeDecliningTokens = {{
    {"tok_chargeDeclined", "Your card was declined."},
    {"tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
    {"tok_chargeDeclinedFraudulent", "Your card was declined."},
    {"tok_chargeDeclinedLostCard", "Your card was declined."},
    {"tok_chargeDeclinedStolenCard", "Your card was declined."},
    {"tok_chargeDeclinedExpiredCard", "Your card has expired."},
    {"tok_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."},
    {"tok_chargeDeclinedProcessingError",
     "An error occurred while processing your card. Try again in a little bit."},
}};

constexpr bool IsStripeAuthorizingToken(std::string_view token) {
    return std::find(kStripeAuthorizingTokens.begin(), kStripeAuthorizingTokens.end(), token) !=
           kStripeAuthorizingTokens.end();
}

// The decline Stripe answers for `token`; nullptr when the token does not decline.
constexpr const StripeDecliningToken* FindStripeDecline(std::string_view token) {
    for (const auto& d : kStripeDecliningTokens) {
        if (d.token == token) {
            return &d;
        }
    }
    return nullptr;
}

}  // namespace ticketing::payments

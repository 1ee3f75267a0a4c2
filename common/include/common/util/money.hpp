// Money: integer cents inside, JSON numbers in dollars at the API (DESIGN.md section 4 "Prices").
// Used by the tickets, orders and payments services and by validation::Validator::Price.
// Prices are parsed from the decimal TEXT of the value, never through double arithmetic, so a
// price is either exact in cents or rejected.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ticketing::util {

using Cents = std::int64_t;

inline constexpr Cents kMaxPriceCents = 100'000'000;  // 1000000 dollars

inline constexpr std::string_view kPriceNotPositiveMessage = "Price must be greater than 0";
inline constexpr std::string_view kPriceDecimalsMessage =
    "Price must have at most 2 decimal places";
inline constexpr std::string_view kPriceTooLargeMessage = "Price must be at most 1000000";

// The JSON number the API returns for an amount: 2050 → 20.5, 2010 → 20.1 (the double nearest to
// the decimal value, so nlohmann prints it back as "20.1").
double CentsToJsonNumber(Cents cents);

// The outcome of parsing a price: cents on success, else the contract's message.
struct PriceParseResult {
    std::optional<Cents> cents;
    std::string_view error;  // one of the kPrice*Message constants when cents is empty

    bool ok() const { return cents.has_value(); }
};

// A price as received in a JSON body; pass a null json for a missing field. Rules, checked in this
// order, each with its message:
//   - a JSON number (not a bool) or a numeric string, finite and > 0   → kPriceNotPositiveMessage
//   - at most 2 decimal places (trailing zeros don't count: 20.10)      → kPriceDecimalsMessage
//   - at most 1000000                                                   → kPriceTooLargeMessage
// A JSON number is judged by its shortest round-trip text (nlohmann's dump: 20.1 → "20.1",
// 1e2 → "100.0", 0.1+0.2 → "0.30000000000000004"), with exponents understood.
// A numeric string is exactly `digits[.digits]`: no sign, spaces, exponent, or bare "20."/".5";
// anything else (including "", " 20", "-5", "1e2") is not a number → kPriceNotPositiveMessage.
PriceParseResult ParsePrice(const nlohmann::json& value);

// The decimal-text core of ParsePrice, for JSON number text: [-]digits[.digits][(e|E)[+-]digits].
PriceParseResult ParsePriceText(std::string_view text);

}  // namespace ticketing::util

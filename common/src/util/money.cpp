#include "common/util/money.hpp"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace ticketing::util {
namespace {

// Exponents beyond this are absurd for a price; saturating keeps the arithmetic in range.
constexpr std::int64_t kExponentLimit = 1'000'000'000;

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

PriceParseResult Fail(std::string_view message) {
    return PriceParseResult{std::nullopt, message};
}

// A decimal number as significant digits × 10^exponent.
struct Decimal {
    bool negative = false;
    std::string digits;  // no leading or trailing zeros; empty means zero
    std::int64_t exponent = 0;
};

std::optional<Decimal> ParseDecimal(std::string_view text) {
    Decimal d;
    std::size_t pos = 0;
    if (pos < text.size() && text[pos] == '-') {
        d.negative = true;
        ++pos;
    }
    const std::size_t int_start = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
        ++pos;
    }
    if (pos == int_start) {
        return std::nullopt;
    }
    std::string digits(text.substr(int_start, pos - int_start));
    std::int64_t frac_len = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t frac_start = pos;
        while (pos < text.size() && IsDigit(text[pos])) {
            ++pos;
        }
        if (pos == frac_start) {
            return std::nullopt;
        }
        digits.append(text.substr(frac_start, pos - frac_start));
        frac_len = static_cast<std::int64_t>(pos - frac_start);
    }
    std::int64_t exponent = 0;
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
        bool exponent_negative = false;
        if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
            exponent_negative = text[pos] == '-';
            ++pos;
        }
        const std::size_t exp_start = pos;
        while (pos < text.size() && IsDigit(text[pos])) {
            if (exponent < kExponentLimit) {
                exponent = exponent * 10 + (text[pos] - '0');
            }
            ++pos;
        }
        if (pos == exp_start) {
            return std::nullopt;
        }
        if (exponent_negative) {
            exponent = -exponent;
        }
    }
    if (pos != text.size()) {
        return std::nullopt;
    }

    const auto first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
        d.digits.clear();
        return d;
    }
    const auto last = digits.find_last_not_of('0');
    d.exponent = exponent - frac_len + static_cast<std::int64_t>(digits.size() - 1 - last);
    d.digits = digits.substr(first, last - first + 1);
    return d;
}

// The strict grammar for prices sent as strings: digits[.digits].
bool IsPlainDecimalString(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
        ++pos;
    }
    if (pos == 0) {
        return false;
    }
    if (pos == text.size()) {
        return true;
    }
    if (text[pos] != '.') {
        return false;
    }
    const std::size_t frac_start = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) {
        ++pos;
    }
    return pos > frac_start && pos == text.size();
}

PriceParseResult FromWholeDollars(std::int64_t dollars) {
    if (dollars <= 0) {
        return Fail(kPriceNotPositiveMessage);
    }
    if (dollars > kMaxPriceCents / 100) {
        return Fail(kPriceTooLargeMessage);
    }
    return PriceParseResult{dollars * 100, {}};
}

}  // namespace

double CentsToJsonNumber(Cents cents) {
    // One correctly rounded division: the nearest double to cents/100, which is exactly the
    // double a JSON parser reads from the decimal text, so it prints back as that text.
    return static_cast<double>(cents) / 100.0;
}

PriceParseResult ParsePriceText(std::string_view text) {
    const auto decimal = ParseDecimal(text);
    if (!decimal || decimal->digits.empty() || decimal->negative) {
        return Fail(kPriceNotPositiveMessage);
    }
    if (decimal->exponent < -2) {
        return Fail(kPriceDecimalsMessage);
    }
    // cents = digits × 10^(exponent + 2); more than 9 digits is above the maximum for sure.
    const std::int64_t cent_digits =
        static_cast<std::int64_t>(decimal->digits.size()) + decimal->exponent + 2;
    if (cent_digits > 9) {
        return Fail(kPriceTooLargeMessage);
    }
    Cents cents = 0;
    for (const char c : decimal->digits) {
        cents = cents * 10 + (c - '0');
    }
    for (std::int64_t i = 0; i < decimal->exponent + 2; ++i) {
        cents *= 10;
    }
    if (cents > kMaxPriceCents) {
        return Fail(kPriceTooLargeMessage);
    }
    return PriceParseResult{cents, {}};
}

PriceParseResult ParsePrice(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::number_integer:
            return FromWholeDollars(value.get<std::int64_t>());
        case nlohmann::json::value_t::number_unsigned: {
            const auto dollars = value.get<std::uint64_t>();
            if (dollars == 0) {
                return Fail(kPriceNotPositiveMessage);
            }
            if (dollars > static_cast<std::uint64_t>(kMaxPriceCents / 100)) {
                return Fail(kPriceTooLargeMessage);
            }
            return FromWholeDollars(static_cast<std::int64_t>(dollars));
        }
        case nlohmann::json::value_t::number_float: {
            if (!std::isfinite(value.get<double>())) {
                return Fail(kPriceNotPositiveMessage);
            }
            return ParsePriceText(value.dump());
        }
        case nlohmann::json::value_t::string: {
            const auto& text = value.get_ref<const std::string&>();
            if (!IsPlainDecimalString(text)) {
                return Fail(kPriceNotPositiveMessage);
            }
            return ParsePriceText(text);
        }
        default:
            return Fail(kPriceNotPositiveMessage);
    }
}

}  // namespace ticketing::util

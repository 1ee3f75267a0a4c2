#include "common/util/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace ticketing::util {

void AppendJsonString(std::string& out, std::string_view value) {
    const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += value;
        out += '"';
        return;
    }
    out += nlohmann::json(std::string(value))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// nlohmann's layout of the shortest round-trip digits (its dtoa's format_buffer): with n the
// position of the decimal point after the first digit, whole numbers up to 15 digits as
// "123000.0", other numbers with the point inside their first 15 digits as "12.5", small ones as
// "0.00125" (down to 4 zeros after the point), the rest as "1.25e+20" or "1e-05" (an exponent
// of at least two digits). std::to_chars's own choice differs (100000.0 is "1e+05" to it).
void AppendJsonNumber(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";  // JSON has no NaN or infinity
        return;
    }
    if (std::signbit(value)) {
        out += '-';
        value = -value;
    }
    if (value == 0) {
        out += "0.0";
        return;
    }
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));  // d[.ddd]e[+-]dd
    const auto e = text.find('e');
    std::string digits(1, text[0]);
    if (e > 1) {
        digits.append(text.substr(2, e - 2));
    }
    int exponent = 0;
    const auto exp_text = text.substr(e + 1);
    std::from_chars(exp_text.data() + (exp_text[0] == '+' ? 1 : 0),
                    exp_text.data() + exp_text.size(),
                    exponent);
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1;
    constexpr int kMinExp = -4;
    constexpr int kMaxExp = 15;
    if (k <= n && n <= kMaxExp) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
        out += ".0";
    } else if (0 < n && n <= kMaxExp) {
        out.append(digits, 0, static_cast<std::size_t>(n));
        out += '.';
        out.append(digits, static_cast<std::size_t>(n));
    } else if (kMinExp < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits, 1);
        }
        const int shown = n - 1;
        out += shown < 0 ? "e-" : "e+";
        const int magnitude = shown < 0 ? -shown : shown;
        if (magnitude < 10) {
            out += '0';
        }
        out += std::to_string(magnitude);
    }
}

void AppendJsonNumber(std::string& out, std::int64_t value) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
}

}  // namespace ticketing::util

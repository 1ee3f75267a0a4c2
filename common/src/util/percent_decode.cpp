#include "common/util/percent_decode.hpp"

namespace ticketing::util {
namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Both flavours: `form` turns '+' into a space and keeps a malformed escape; otherwise a
// malformed escape makes the whole text nullopt.
std::optional<std::string> Decode(std::string_view text, bool form) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && form) {
            out.push_back(' ');
            continue;
        }
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        const int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            if (!form) {
                return std::nullopt;
            }
            out.push_back(c);
            continue;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text) {
    return Decode(text, false);
}

std::string FormDecode(std::string_view text) {
    return *Decode(text, true);
}

}  // namespace ticketing::util

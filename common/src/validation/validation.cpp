#include "common/validation/validation.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

namespace ticketing::validation {
namespace {

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxEmailLocalLength = 64;

bool IsAsciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsAsciiDigit(char c) {
    return c >= '0' && c <= '9';
}

bool IsAsciiAlnum(char c) {
    return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsNonAscii(char c) {
    return (static_cast<unsigned char>(c) & 0x80U) != 0;
}

// Characters RFC 5322 allows unquoted in a local part, besides letters, digits and non-ASCII.
bool IsLocalPartSymbol(char c) {
    return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool IsValidDomainLabel(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
    }
    return std::all_of(label.begin(), label.end(), [](char c) {
        return IsAsciiAlnum(c) || c == '-' || IsNonAscii(c);
    });
}

bool IsValidEmail(std::string_view email) {
    if (email.empty() || Utf8Length(email) > kMaxEmailLength) {
        return false;
    }
    const auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    const std::string_view local = email.substr(0, at);
    const std::string_view domain = email.substr(at + 1);
    if (local.empty() || Utf8Length(local) > kMaxEmailLocalLength) {
        return false;
    }
    if (!std::all_of(local.begin(), local.end(), [](char c) {
            return IsAsciiAlnum(c) || IsNonAscii(c) || IsLocalPartSymbol(c);
        })) {
        return false;
    }
    std::size_t labels = 0;
    std::string_view last_label;
    std::string_view rest = domain;
    while (true) {
        const auto dot = rest.find('.');
        const std::string_view label = rest.substr(0, dot);
        if (!IsValidDomainLabel(label)) {
            return false;
        }
        ++labels;
        last_label = label;
        if (dot == std::string_view::npos) {
            break;
        }
        rest = rest.substr(dot + 1);
    }
    return labels >= 2 && last_label.size() >= 2 &&
           !std::all_of(last_label.begin(), last_label.end(), IsAsciiDigit);
}

}  // namespace

std::size_t Utf8Length(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

std::string_view TrimAscii(std::string_view text) {
    while (!text.empty() && IsAsciiSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && IsAsciiSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

Validator::Validator(const nlohmann::json& body) : body_(body) {}

const std::string* Validator::StringField(std::string_view field) const {
    if (!body_.is_object()) {
        return nullptr;
    }
    const auto it = body_.find(field);
    if (it == body_.end() || !it->is_string()) {
        return nullptr;
    }
    return it->get_ptr<const std::string*>();
}

void Validator::Fail(std::string_view field, std::string_view message) {
    errors_.push_back(http::FieldError{std::string(message), std::string(field)});
}

std::string Validator::RequiredString(std::string_view field, std::string_view message) {
    const std::string* value = StringField(field);
    if (value == nullptr || TrimAscii(*value).empty()) {
        Fail(field, message);
        return {};
    }
    return *value;
}

std::string Validator::TrimmedString(std::string_view field,
                                     std::size_t min,
                                     std::size_t max,
                                     std::string_view message) {
    const std::string* value = StringField(field);
    if (value == nullptr) {
        Fail(field, message);
        return {};
    }
    const std::string_view trimmed = TrimAscii(*value);
    const std::size_t length = Utf8Length(trimmed);
    if (length < min || length > max) {
        Fail(field, message);
        return {};
    }
    return std::string(trimmed);
}

namespace {

// The code points of valid UTF-8 (nlohmann's parser accepted only valid UTF-8).
template <class F>
void ForEachCodePoint(std::string_view text, F&& f) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < len && i + k < text.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        }
        f(cp);
        i += len;
    }
}

bool IsForbiddenInText(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

// NFC through ICU; nullopt if ICU refuses (it does not for valid UTF-8).
std::optional<std::string> Nfc(std::string_view text) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    std::u16string utf16(text.size() + 1, u'\0');
    int32_t len16 = 0;
    u_strFromUTF8(utf16.data(), static_cast<int32_t>(utf16.size()), &len16, text.data(),
                  static_cast<int32_t>(text.size()), &status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    utf16.resize(static_cast<std::size_t>(len16));
    if (unorm2_isNormalized(nfc, utf16.data(), len16, &status) && U_SUCCESS(status)) {
        return std::string(text);
    }
    status = U_ZERO_ERROR;
    std::u16string normal(utf16.size() * 3 + 1, u'\0');
    const int32_t len_normal = unorm2_normalize(nfc, utf16.data(), len16, normal.data(),
                                                static_cast<int32_t>(normal.size()), &status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    std::string out(static_cast<std::size_t>(len_normal) * 3 + 1, '\0');
    int32_t len8 = 0;
    u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len8, normal.data(), len_normal,
                &status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(len8));
    return out;
}

}  // namespace

std::string Validator::Text(std::string_view field,
                            std::size_t min,
                            std::size_t max,
                            std::string_view message,
                            std::string_view characters_message) {
    const std::string* value = StringField(field);
    if (value == nullptr) {
        Fail(field, message);
        return {};
    }
    bool forbidden = false;
    ForEachCodePoint(*value, [&forbidden](char32_t cp) { forbidden |= IsForbiddenInText(cp); });
    if (forbidden) {
        Fail(field, characters_message);
        return {};
    }
    auto normal = Nfc(TrimAscii(*value));
    if (!normal) {
        Fail(field, characters_message);
        return {};
    }
    const std::size_t length = Utf8Length(*normal);
    if (length < min || length > max) {
        Fail(field, message);
        return {};
    }
    return std::move(*normal);
}

std::string Validator::Email(std::string_view field, std::string_view message) {
    const std::string* value = StringField(field);
    if (value == nullptr) {
        Fail(field, message);
        return {};
    }
    std::string email(TrimAscii(*value));
    std::transform(email.begin(), email.end(), email.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    // IsValidEmail admits no whitespace or control character anywhere.
    if (!IsValidEmail(email)) {
        Fail(field, message);
        return {};
    }
    return email;
}

std::string Validator::StringLength(std::string_view field,
                                    std::size_t min,
                                    std::size_t max,
                                    std::string_view message) {
    const std::string* value = StringField(field);
    if (value == nullptr) {
        Fail(field, message);
        return {};
    }
    const std::size_t length = Utf8Length(*value);
    if (length < min || length > max) {
        Fail(field, message);
        return {};
    }
    return *value;
}

std::optional<util::Cents> Validator::Price(std::string_view field) {
    static const nlohmann::json kMissing;  // null: ParsePrice treats it as "not a number"
    const nlohmann::json* value = &kMissing;
    if (body_.is_object()) {
        if (const auto it = body_.find(field); it != body_.end()) {
            value = &*it;
        }
    }
    const util::PriceParseResult result = util::ParsePrice(*value);
    if (!result.ok()) {
        Fail(field, result.error);
        return std::nullopt;
    }
    return result.cents;
}

std::string Validator::Id(std::string_view field, std::string_view message) {
    return RequiredString(field, message);
}

void Validator::Check() const {
    if (!errors_.empty()) {
        throw http::ValidationError(errors_);
    }
}

}  // namespace ticketing::validation

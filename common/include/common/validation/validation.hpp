// Validator: checks a request's JSON body rule by rule, collecting every failure with its field,
// then Check() throws http::ValidationError listing them in rule order (DESIGN.md section 4: one
// error entry per failed rule). Used by the services' handlers:
//
//     validation::Validator v(request.JsonBody());
//     auto title = v.TrimmedString("title", 1, 200, "Title is required");
//     auto price = v.Price("price");
//     v.Check();  // from here on, title and *price are valid
//
// A failed rule returns an empty value ("" or nullopt). A field of the wrong JSON type fails its
// rule with the rule's message; no exception other than ValidationError ever escapes. A body that
// is not an object is treated as an empty object.
// Thread-safety: none; one Validator per request. The body must outlive the Validator.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/http/errors.hpp"
#include "common/util/money.hpp"

namespace ticketing::validation {

class Validator final {
public:
    explicit Validator(const nlohmann::json& body);
    // The Validator keeps a reference: a temporary body would dangle.
    explicit Validator(nlohmann::json&& body) = delete;

    // A string that is not empty after trimming ASCII whitespace. Returns the value unchanged
    // (not trimmed: a password must stay as typed).
    std::string RequiredString(std::string_view field, std::string_view message);
    // A string whose trimmed length is within [min, max] characters (UTF-8 code points).
    // Returns the trimmed value.
    std::string TrimmedString(std::string_view field,
                              std::size_t min,
                              std::size_t max,
                              std::string_view message);
    // Display text such as a ticket's title (DESIGN.md section 13): TrimmedString's rule, after
    // the value is NFC-normalised, and no C0 or C1 control character (NUL, tab and newline
    // included) and no bidirectional embedding, override or isolate (U+202A-U+202E,
    // U+2066-U+2069) anywhere; those fail with `characters_message`. Returns the trimmed,
    // normalised value, so both database backends and the events hold the same text.
    std::string Text(std::string_view field,
                     std::size_t min,
                     std::size_t max,
                     std::string_view message,
                     std::string_view characters_message);
    // An email address: trimmed and lower-cased (ASCII), then at most 254 characters, exactly one
    // '@', a local part of 1..64 characters, a domain of dot-separated non-empty labels (letters,
    // digits, '-', or non-ASCII; not starting or ending with '-') with at least two labels and a
    // final label of 2+ characters that is not all digits; no whitespace or control characters
    // anywhere. Returns the normalised address.
    std::string Email(std::string_view field, std::string_view message);
    // A string whose length is within [min, max] characters (UTF-8 code points), not trimmed.
    std::string StringLength(std::string_view field,
                             std::size_t min,
                             std::size_t max,
                             std::string_view message);
    // A price by util::ParsePrice's rules and messages.
    std::optional<util::Cents> Price(std::string_view field);
    // An id reference: a non-empty string (after trimming). Whether it is well-formed or known is
    // the handler's business (404). Returns the value unchanged.
    std::string Id(std::string_view field, std::string_view message);

    // Records a failure found by the caller's own rule.
    void Fail(std::string_view field, std::string_view message);

    bool ok() const noexcept { return errors_.empty(); }
    const std::vector<http::FieldError>& errors() const noexcept { return errors_; }
    // Throws http::ValidationError with every recorded failure, in rule order, if there are any.
    void Check() const;

private:
    // The field's value when it is present and a string; nullptr otherwise.
    const std::string* StringField(std::string_view field) const;

    const nlohmann::json& body_;
    std::vector<http::FieldError> errors_;
};

// Number of UTF-8 code points in `text` (bytes that are not continuation bytes).
std::size_t Utf8Length(std::string_view text);

// `text` without leading and trailing ASCII whitespace.
std::string_view TrimAscii(std::string_view text);

}  // namespace ticketing::validation

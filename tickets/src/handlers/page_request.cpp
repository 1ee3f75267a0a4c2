#include "handlers/page_request.hpp"

#include <charconv>
#include <cstdint>
#include <vector>

#include "common/http/errors.hpp"
#include "common/util/ids.hpp"

namespace ticketing::tickets {
namespace {

std::optional<std::size_t> ParseLimit(std::string_view text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;  // no sign, spaces, or anything from_chars would skip
    }
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > kMaxPageSize) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(value);
}

}  // namespace

PageRequest ParsePageRequest(const std::optional<std::string>& limit,
                             const std::optional<std::string>& before,
                             const std::optional<std::string>& after) {
    PageRequest page;
    std::vector<http::FieldError> errors;
    if (limit) {
        if (auto n = ParseLimit(*limit)) {
            page.limit = *n;
        } else {
            errors.push_back({std::string(kLimitMessage), "limit"});
        }
    }
    const bool has_before = before && !before->empty();
    if (has_before && after) {
        errors.push_back({std::string(kBeforeOrAfterMessage), "before"});
    } else if (after) {
        page.oldest_first = true;
        if (!after->empty()) {
            if (util::IsValidId(*after)) {
                page.after = *after;
            } else {
                errors.push_back({std::string(kAfterMessage), "after"});
            }
        }
    } else if (has_before) {
        if (util::IsValidId(*before)) {
            page.before = *before;
        } else {
            errors.push_back({std::string(kBeforeMessage), "before"});
        }
    }
    if (!errors.empty()) {
        throw http::ValidationError(std::move(errors));
    }
    return page;
}

}  // namespace ticketing::tickets

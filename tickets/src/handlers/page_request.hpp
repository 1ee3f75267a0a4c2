// ParsePageRequest: the `?limit=N&before=<id>` or `?limit=N&after=<id>` of the ticket lists,
// checked as the contract says (DESIGN.md section 4). Used by the list handlers.
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/page.hpp"

namespace ticketing::tickets {

inline constexpr std::string_view kLimitMessage = "Limit must be between 1 and 1000";
inline constexpr std::string_view kAfterMessage = "After must be a ticket id";
inline constexpr std::string_view kBeforeMessage = "Before must be a ticket id";
inline constexpr std::string_view kBeforeOrAfterMessage = "Use either before or after, not both";

// `limit`: absent → 1000; otherwise 1..1000 written in decimal digits only.
// `before`: absent or empty → from the newest; otherwise a well-formed id (known or not: the page
// simply starts below it). `after` (present, even empty): oldest first, from after that id.
// Both given: 400. Throws http::ValidationError with one entry per bad parameter (fields
// "limit", "before", "after").
PageRequest ParsePageRequest(const std::optional<std::string>& limit,
                             const std::optional<std::string>& before,
                             const std::optional<std::string>& after);

}  // namespace ticketing::tickets

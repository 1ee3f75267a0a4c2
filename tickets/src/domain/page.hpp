// PageRequest: one page of GET /api/tickets (and /api/tickets/mine), parsed from
// `?limit=N&before=<id>` (newest first, the default: the next page is the tickets older than the
// last id of this one) or `?limit=N&after=<id>` (oldest first from that id, as before). Keyset
// paging: ids are time-ordered. Used by the list handlers and TicketService.
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ticketing::tickets {

inline constexpr std::size_t kMaxPageSize = 1000;
inline constexpr std::string_view kLimitMessage = "Limit must be between 1 and 1000";
inline constexpr std::string_view kAfterMessage = "After must be a ticket id";
inline constexpr std::string_view kBeforeMessage = "Before must be a ticket id";
inline constexpr std::string_view kBeforeOrAfterMessage = "Use either before or after, not both";

struct PageRequest {
    std::size_t limit = kMaxPageSize;
    bool oldest_first = false;  // true when `after` was given
    std::string after;          // oldest first: ids greater than this ("" from the first)
    std::string before;         // newest first: ids less than this ("" from the newest)
    bool operator==(const PageRequest&) const = default;
};

// `limit`: absent → 1000; otherwise 1..1000 written in decimal digits only.
// `before`: absent or empty → from the newest; otherwise a well-formed id (known or not: the page
// simply starts below it). `after` (present, even empty): oldest first, from after that id.
// Both given: 400. Throws http::ValidationError with one entry per bad parameter (fields
// "limit", "before", "after").
PageRequest ParsePageRequest(const std::optional<std::string>& limit,
                             const std::optional<std::string>& before,
                             const std::optional<std::string>& after);

}  // namespace ticketing::tickets

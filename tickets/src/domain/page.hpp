// PageRequest: one page of GET /api/tickets, parsed from `?limit=N&after=<id>` (keyset paging:
// the next page starts after the last id of this one). Used by the list handler and
// TicketService::ListUnreserved.
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

struct PageRequest {
    std::size_t limit = kMaxPageSize;
    std::string after;  // empty: from the first ticket
    bool operator==(const PageRequest&) const = default;
};

// `limit`: absent → 1000; otherwise 1..1000 written in decimal digits only.
// `after`: absent or empty → from the start; otherwise a well-formed id (known or not: the page
// simply starts after it).
// Throws http::ValidationError with one entry per bad parameter (fields "limit", "after").
PageRequest ParsePageRequest(const std::optional<std::string>& limit,
                             const std::optional<std::string>& after);

}  // namespace ticketing::tickets

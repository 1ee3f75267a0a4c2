// PageRequest: one page of the ticket lists (GET /api/tickets and /api/tickets/mine), newest
// first from below `before` (the default: the next page is the tickets older than the last id of
// this one) or oldest first from above `after` (the course's way). Keyset paging: ids are
// time-ordered. The list handlers parse it from the query (handlers/page_request.hpp);
// TicketService and the repositories take it.
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <string>

namespace ticketing::tickets {

inline constexpr std::size_t kMaxPageSize = 1000;

struct PageRequest {
    std::size_t limit = kMaxPageSize;
    bool oldest_first = false;  // true when `after` was given
    std::string after;          // oldest first: ids greater than this ("" from the first)
    std::string before;         // newest first: ids less than this ("" from the newest)
    bool operator==(const PageRequest&) const = default;
};

}  // namespace ticketing::tickets

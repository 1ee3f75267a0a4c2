// The verdicts of the load tool's scenarios: what each scenario observed through the public API,
// as plain values, and the pure functions that judge it (PASS or FAIL, with counts and a line per
// problem). Kept apart from the HTTP plumbing so the rules are unit-tested on recorded results.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ticketing::load {

inline constexpr const char* kReservedBody =
    R"({"errors":[{"message":"Ticket is already reserved"}]})";

struct Verdict {
    std::string scenario;
    bool pass = false;
    std::string summary;                // e.g. "occ: 400/400 tickets consistent, 0 5xx: PASS"
    std::vector<std::string> problems;  // one line per thing that went wrong
    nlohmann::json counts = nlohmann::json::object();
};

// Answers that fail any scenario, whatever the request: 5xx, and requests that got no answer.
struct ErrorCounts {
    std::int64_t server_errors = 0;
    std::int64_t no_answer = 0;
};

// occ: one chain = sign up, create at 5, update to 10, update to 15 (not awaited); then the
// tickets service's record and the orders service's replica of that ticket.
struct OccChain {
    std::string ticket_id;  // empty when the chain stopped before the ticket existed
    long signup_status = 0;
    long create_status = 0;
    long update10_status = 0;
    long update15_status = 0;
    // The last GET /api/tickets/:id before ordering.
    std::optional<double> tickets_price;
    std::optional<int> tickets_version;
    // The last POST /api/orders: its status, the replica's ticket in the 201 answer, and the
    // version the tickets service had just before that order.
    long order_status = 0;
    std::optional<double> order_price;
    std::optional<int> order_version;
    std::optional<int> expected_order_version;
    int replica_lags = 0;  // orders answered with an older ticket that later caught up
};

// race: one ticket ordered by every buyer at once; each buyer's final answer (404s retried).
struct RaceAnswer {
    long status = 0;
    std::string body;
};
struct RaceTicket {
    std::string ticket_id;
    long create_status = 0;
    std::vector<RaceAnswer> answers;
};

// purchase: sign up, list, order a ticket a seller listed for this user, pay; then the order's
// and the ticket's final state.
struct PurchaseFlow {
    long signup_status = 0;
    long list_status = 0;
    long create_status = 0;  // the seller's POST /api/tickets
    long order_status = 0;
    long payment_status = 0;
    std::string ticket_id;
    std::string order_id;
    std::string payment_body;        // when the payment was not 201
    std::string final_order_status;  // last GET /api/orders/:id
    std::string ticket_order_id;     // last GET /api/tickets/:id's orderId
};

// expire: an order left unpaid; times in ms since its 201 answer.
struct ExpireOrder {
    std::string order_id;
    std::string ticket_id;
    long create_status = 0;
    long order_status = 0;
    double window_ms = 0;                      // expiresAt minus the time of the answer
    double window_from_request_ms = 0;         // expiresAt minus the time of the request
    std::optional<double> cancelled_after_ms;  // first seen cancelled
    std::optional<double> listed_after_ms;     // first seen listed after that
};

// How long after expiresAt an order may take to be cancelled and its ticket listed again.
inline constexpr double kExpireGraceMs = 2000;

Verdict JudgeOcc(const std::vector<OccChain>& chains, ErrorCounts errors);
Verdict JudgeRace(const std::vector<RaceTicket>& tickets, ErrorCounts errors);
Verdict JudgePurchase(const std::vector<PurchaseFlow>& flows, ErrorCounts errors);
Verdict JudgeExpire(const std::vector<ExpireOrder>& orders, ErrorCounts errors);

}  // namespace ticketing::load

#include "verdict.hpp"

#include <algorithm>
#include <cstdio>

namespace ticketing::load {
namespace {

std::string Number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

// "answered 409", or "got no answer" for a status 0.
std::string Answered(long status) {
    return status == 0 ? "got no answer" : "answered " + std::to_string(status);
}

std::string Opt(const std::optional<double>& v) {
    return v ? Number(*v) : "?";
}

std::string Opt(const std::optional<int>& v) {
    return v ? std::to_string(*v) : "?";
}

// Fills the common part of a verdict: 5xx and unanswered requests fail any scenario, and a
// scenario that checked nothing did not pass.
Verdict Conclude(const std::string& scenario,
                 std::int64_t good,
                 std::int64_t total,
                 const std::string& what,
                 ErrorCounts errors,
                 std::vector<std::string> problems) {
    Verdict v;
    v.scenario = scenario;
    if (errors.server_errors > 0) {
        problems.push_back(std::to_string(errors.server_errors) + " answers were 5xx");
    }
    if (errors.no_answer > 0) {
        problems.push_back(std::to_string(errors.no_answer) + " requests got no answer");
    }
    if (total == 0) {
        problems.push_back("nothing was checked");
    }
    v.pass = good == total && total > 0 && errors.server_errors == 0 && errors.no_answer == 0;
    v.summary = scenario + ": " + std::to_string(good) + "/" + std::to_string(total) + " " + what +
                ", " + std::to_string(errors.server_errors) + " 5xx";
    if (errors.no_answer > 0) {
        v.summary += ", " + std::to_string(errors.no_answer) + " without answer";
    }
    v.summary += v.pass ? ": PASS" : ": FAIL";
    v.problems = std::move(problems);
    v.counts = {{"good", good},
                {"total", total},
                {"server_errors", errors.server_errors},
                {"no_answer", errors.no_answer}};
    return v;
}

bool IsReservedAnswer(const RaceAnswer& a) {
    if (a.status != 400) {
        return false;
    }
    auto body = nlohmann::json::parse(a.body, nullptr, false);
    return !body.is_discarded() && body == nlohmann::json::parse(kReservedBody);
}

}  // namespace

Verdict JudgeOcc(const std::vector<OccChain>& chains, ErrorCounts errors) {
    std::vector<std::string> problems;
    std::int64_t consistent = 0;
    std::int64_t lags = 0;
    for (std::size_t i = 0; i < chains.size(); ++i) {
        const auto& c = chains[i];
        lags += c.replica_lags;
        const std::string who =
            c.ticket_id.empty() ? "chain " + std::to_string(i) : "ticket " + c.ticket_id;
        if (c.signup_status != 201) {
            problems.push_back(who + ": sign-up " + Answered(c.signup_status));
        } else if (c.create_status != 201) {
            problems.push_back(who + ": create " + Answered(c.create_status));
        } else if (c.update10_status != 200) {
            problems.push_back(who + ": update to 10 " + Answered(c.update10_status));
        } else if (c.update15_status != 200) {
            problems.push_back(who + ": update to 15 " + Answered(c.update15_status));
        } else if (c.tickets_price != 15.0 || c.tickets_version != 2) {
            problems.push_back(who + ": tickets has price " + Opt(c.tickets_price) + " version " +
                               Opt(c.tickets_version) + ", expected 15 version 2");
        } else if (c.order_status != 201) {
            problems.push_back(who + ": ordering it " + Answered(c.order_status));
        } else if (c.order_price != 15.0 || !c.expected_order_version ||
                   c.order_version != c.expected_order_version) {
            problems.push_back(who + ": the orders service's replica shows price " +
                               Opt(c.order_price) + " version " + Opt(c.order_version) +
                               " while tickets had price 15 version " +
                               Opt(c.expected_order_version) + " (it never caught up)");
        } else {
            ++consistent;
        }
    }
    Verdict v = Conclude("occ",
                         consistent,
                         static_cast<std::int64_t>(chains.size()),
                         "tickets consistent",
                         errors,
                         std::move(problems));
    v.counts["replica_lags"] = lags;
    return v;
}

Verdict JudgeRace(const std::vector<RaceTicket>& tickets, ErrorCounts errors) {
    std::vector<std::string> problems;
    std::int64_t good = 0;
    std::int64_t created = 0;
    std::int64_t reserved = 0;
    std::int64_t other = 0;
    for (std::size_t i = 0; i < tickets.size(); ++i) {
        const auto& t = tickets[i];
        const std::string who =
            t.ticket_id.empty() ? "ticket #" + std::to_string(i) : "ticket " + t.ticket_id;
        if (t.create_status != 201) {
            problems.push_back(who + ": create " + Answered(t.create_status));
            continue;
        }
        std::int64_t wins = 0;
        std::int64_t losses = 0;
        std::string odd;
        for (const auto& a : t.answers) {
            if (a.status == 201) {
                ++wins;
            } else if (IsReservedAnswer(a)) {
                ++losses;
            } else if (odd.empty()) {
                odd = std::to_string(a.status) + " " + a.body;
            }
        }
        const auto others = static_cast<std::int64_t>(t.answers.size()) - wins - losses;
        created += wins;
        reserved += losses;
        other += others;
        if (wins == 1 && others == 0) {
            ++good;
            continue;
        }
        std::string line = who + ": " + std::to_string(wins) + " orders created (expected 1), " +
                           std::to_string(losses) + " \"already reserved\"";
        if (others > 0) {
            line += ", " + std::to_string(others) + " other answers (first: " + odd + ")";
        }
        problems.push_back(line);
    }
    Verdict v = Conclude("race",
                         good,
                         static_cast<std::int64_t>(tickets.size()),
                         "tickets with exactly one order",
                         errors,
                         std::move(problems));
    v.counts["created"] = created;
    v.counts["already_reserved"] = reserved;
    v.counts["other_answers"] = other;
    return v;
}

Verdict JudgePurchase(const std::vector<PurchaseFlow>& flows, ErrorCounts errors) {
    std::vector<std::string> problems;
    std::int64_t good = 0;
    for (std::size_t i = 0; i < flows.size(); ++i) {
        const auto& f = flows[i];
        const std::string who =
            f.order_id.empty() ? "flow " + std::to_string(i) : "order " + f.order_id;
        if (f.signup_status != 201) {
            problems.push_back(who + ": sign-up " + Answered(f.signup_status));
        } else if (f.create_status != 201) {
            problems.push_back(who + ": the seller's create " + Answered(f.create_status));
        } else if (f.list_status != 200) {
            problems.push_back(who + ": listing tickets " + Answered(f.list_status));
        } else if (f.order_status != 201) {
            problems.push_back(who + ": ordering ticket " + f.ticket_id + " " +
                               Answered(f.order_status));
        } else if (f.payment_status != 201) {
            problems.push_back(who + ": paying " + Answered(f.payment_status) + " " +
                               f.payment_body);
        } else if (f.final_order_status != "complete") {
            problems.push_back(who + ": status stayed \"" + f.final_order_status +
                               "\" after payment, expected \"complete\"");
        } else if (f.ticket_order_id != f.order_id) {
            problems.push_back(who + ": ticket " + f.ticket_id + " has orderId \"" +
                               f.ticket_order_id + "\", expected the order's id");
        } else {
            ++good;
        }
    }
    return Conclude("purchase",
                    good,
                    static_cast<std::int64_t>(flows.size()),
                    "orders complete with their ticket reserved",
                    errors,
                    std::move(problems));
}

Verdict JudgeExpire(const std::vector<ExpireOrder>& orders, ErrorCounts errors) {
    std::vector<std::string> problems;
    std::int64_t good = 0;
    std::optional<double> shortest_window_ms;
    double longest_window_ms = 0;
    std::optional<double> shortest_window_from_request_ms;
    double worst_cancel_late_ms = 0;
    double worst_listed_late_ms = 0;
    for (std::size_t i = 0; i < orders.size(); ++i) {
        const auto& o = orders[i];
        const std::string who =
            o.order_id.empty() ? "order #" + std::to_string(i) : "order " + o.order_id;
        const double limit = o.window_ms + kExpireGraceMs;
        if (o.create_status != 201) {
            problems.push_back(who + ": creating its ticket " + Answered(o.create_status));
        } else if (o.order_status != 201) {
            problems.push_back(who + ": ordering " + Answered(o.order_status));
        } else if (!o.cancelled_after_ms || *o.cancelled_after_ms > limit) {
            problems.push_back(who + ": not cancelled within " + Number(limit) + " ms" +
                               (o.cancelled_after_ms
                                    ? " (cancelled after " + Number(*o.cancelled_after_ms) + " ms)"
                                    : ""));
        } else if (!o.listed_after_ms || *o.listed_after_ms > limit) {
            problems.push_back(
                who + ": ticket " + o.ticket_id + " not listed again within " + Number(limit) +
                " ms" +
                (o.listed_after_ms ? " (listed after " + Number(*o.listed_after_ms) + " ms)" : ""));
        } else {
            ++good;
        }
        if (o.order_status == 201) {
            shortest_window_ms = std::min(shortest_window_ms.value_or(o.window_ms), o.window_ms);
            longest_window_ms = std::max(longest_window_ms, o.window_ms);
            shortest_window_from_request_ms =
                std::min(shortest_window_from_request_ms.value_or(o.window_from_request_ms),
                         o.window_from_request_ms);
        }
        if (o.cancelled_after_ms) {
            worst_cancel_late_ms =
                std::max(worst_cancel_late_ms, *o.cancelled_after_ms - o.window_ms);
        }
        if (o.listed_after_ms) {
            worst_listed_late_ms = std::max(worst_listed_late_ms, *o.listed_after_ms - o.window_ms);
        }
    }
    Verdict v = Conclude("expire",
                         good,
                         static_cast<std::int64_t>(orders.size()),
                         "orders cancelled and tickets listed again within window + 2 s",
                         errors,
                         std::move(problems));
    v.counts["min_window_ms"] = shortest_window_ms.value_or(0);
    v.counts["max_window_ms"] = longest_window_ms;
    // The stack's window lies between max_window_ms (seen by the answers: at most the window)
    // and min_window_from_request_ms (seen by the requests: at least the window).
    v.counts["min_window_from_request_ms"] = shortest_window_from_request_ms.value_or(0);
    v.counts["max_cancelled_after_window_ms"] = worst_cancel_late_ms;
    v.counts["max_listed_after_window_ms"] = worst_listed_late_ms;
    return v;
}

}  // namespace ticketing::load

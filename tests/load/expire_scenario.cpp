// expire: orders left unpaid. The stack must run with a short EXPIRATION_WINDOW_SECONDS; the
// window is read from each order's expiresAt minus the time its answer arrived. Every order must
// be cancelled, and its ticket listed again in GET /api/tickets, within the window + 2 s of that
// answer. One poller reads the buyers' orders and the ticket list every 100 ms.
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "scenarios.hpp"
#include "support.hpp"

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;

constexpr auto kPollEvery = 100ms;
constexpr std::size_t kPageSize = 1000;

struct PendingOrder {
    ExpireOrder result;
    std::size_t buyer = 0;
    SteadyClock::time_point answered;
    std::optional<SteadyClock::time_point> seen_cancelled;
};

// Milliseconds since the epoch, as the services' expiresAt counts them (truncated).
std::int64_t EpochMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double MsSince(SteadyClock::time_point from, SteadyClock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Every unreserved ticket id from `after` on, page by page.
std::set<std::string> ListedIds(LoadClient& client, std::string after) {
    std::set<std::string> ids;
    while (true) {
        // ?after (even empty) pages oldest first; without it the list is newest first.
        std::string path = "/api/tickets?limit=" + std::to_string(kPageSize) + "&after=" + after;
        auto page = JsonOf(client.Get(kListTickets, path));
        if (!page.is_array()) {
            return ids;
        }
        for (const auto& t : page) {
            ids.insert(StringField(t, "id"));
        }
        if (page.size() < kPageSize) {
            return ids;
        }
        after = StringField(page.back(), "id");
    }
}

}  // namespace

ScenarioReport RunExpire(const LoadOptions& options) {
    ScenarioContext ctx(options);
    const int order_count = std::max(options.orders, 0);
    const int buyer_count = std::max(1, std::min(options.concurrency, order_count));

    std::vector<User> users = SignUpBuyersAndSeller(ctx, buyer_count, "expire");
    const User& seller = users.back();

    std::vector<PendingOrder> orders(static_cast<std::size_t>(order_count));
    ctx.progress.Begin("orders", order_count);
    TaskCounter tasks(order_count, std::nullopt);
    RunWorkers(options.concurrency, [&](int) {
        LoadClient client(options.base_url, ctx.recorder);
        while (auto i = tasks.Next()) {
            PendingOrder& p = orders[static_cast<std::size_t>(*i)];
            p.buyer = static_cast<std::size_t>(*i % buyer_count);
            const User& buyer = users[p.buyer];
            ExpireOrder& o = p.result;
            auto ticket = seller.status == 201
                              ? CreateTicket(client, seller, "expire " + std::to_string(*i), 20)
                              : HttpResult{seller.status, "", {}, ""};
            o.create_status = ticket.status;
            if (ticket.status == 201 && buyer.status == 201) {
                o.ticket_id = StringField(JsonOf(ticket), "id");
                const auto asked_ms = EpochMs();
                auto r = OrderWhenKnown(client, buyer, o.ticket_id, ctx.Timeout());
                p.answered = SteadyClock::now();
                const auto answered_ms = EpochMs();
                o.order_status = r.status;
                auto j = JsonOf(r);
                if (r.status == 201 && j.is_object()) {
                    o.order_id = StringField(j, "id");
                    auto expires = ParseIsoMillis(StringField(j, "expiresAt"));
                    o.window_ms = expires ? static_cast<double>(*expires - answered_ms) : 0;
                    o.window_from_request_ms =
                        expires ? static_cast<double>(*expires - asked_ms) : 0;
                }
            } else if (ticket.status == 201) {
                o.order_status = buyer.status;  // this buyer could not sign up
            }
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();

    // Refuse to wait for a long window: the stack was not started for this scenario.
    double longest_ms = 0;
    std::string first_ticket;
    for (const auto& p : orders) {
        longest_ms = std::max(longest_ms, p.result.window_ms);
        if (!p.result.ticket_id.empty() &&
            (first_ticket.empty() || p.result.ticket_id < first_ticket)) {
            first_ticket = p.result.ticket_id;
        }
    }
    if (longest_ms > options.max_window_s * 1000) {
        Verdict v;
        v.scenario = "expire";
        v.summary =
            "expire: the stack's expiration window is " +
            std::to_string(static_cast<long>(longest_ms / 1000)) +
            " s, longer than --max-window: start it with EXPIRATION_WINDOW_SECONDS=10: FAIL";
        v.problems.push_back(v.summary);
        return ctx.Finish(v);
    }

    std::map<std::string, std::size_t> by_order_id;
    SteadyClock::time_point give_up = SteadyClock::now();
    std::int64_t unresolved = 0;
    for (std::size_t i = 0; i < orders.size(); ++i) {
        const auto& o = orders[i].result;
        if (o.order_status == 201) {
            by_order_id[o.order_id] = i;
            auto limit =
                std::chrono::milliseconds(static_cast<std::int64_t>(o.window_ms + kExpireGraceMs));
            give_up = std::max(give_up, orders[i].answered + limit + 1s);
            ++unresolved;
        }
    }

    ctx.progress.Begin("expire", unresolved);
    LoadClient client(options.base_url, ctx.recorder);
    const std::string list_from = IdJustBefore(first_ticket);
    while (unresolved > 0 && SteadyClock::now() < give_up) {
        // Only the buyers with an order about to expire (or overdue) are asked.
        std::vector<bool> due(static_cast<std::size_t>(buyer_count), false);
        const auto now = SteadyClock::now();
        for (const auto& p : orders) {
            if (p.result.order_status == 201 && !p.seen_cancelled &&
                p.answered +
                        std::chrono::milliseconds(static_cast<std::int64_t>(p.result.window_ms)) <=
                    now + kPollEvery) {
                due[p.buyer] = true;
            }
        }
        for (std::size_t b = 0; b < due.size(); ++b) {
            if (!due[b]) {
                continue;
            }
            auto list = JsonOf(client.Get(kListOrders, "/api/orders", users[b].session));
            const auto seen = SteadyClock::now();
            if (!list.is_array()) {
                continue;
            }
            for (const auto& order : list) {
                auto it = by_order_id.find(StringField(order, "id"));
                if (it == by_order_id.end() || StringField(order, "status") != "cancelled") {
                    continue;
                }
                PendingOrder& p = orders[it->second];
                if (!p.seen_cancelled) {
                    p.seen_cancelled = seen;
                    p.result.cancelled_after_ms = MsSince(p.answered, seen);
                }
            }
        }
        bool waiting_for_list = std::any_of(orders.begin(), orders.end(), [](const auto& p) {
            return p.seen_cancelled && !p.result.listed_after_ms;
        });
        if (waiting_for_list) {
            const auto listing_started = SteadyClock::now();
            auto listed = ListedIds(client, list_from);
            const auto seen = SteadyClock::now();
            for (auto& p : orders) {
                // Only a listing that began after the cancel was seen proves the release.
                if (p.seen_cancelled && *p.seen_cancelled <= listing_started &&
                    !p.result.listed_after_ms && listed.contains(p.result.ticket_id)) {
                    p.result.listed_after_ms = MsSince(p.answered, seen);
                    --unresolved;
                    ctx.progress.Tick();
                }
            }
        }
        if (unresolved > 0) {
            std::this_thread::sleep_for(kPollEvery);
        }
    }
    ctx.progress.End();

    std::vector<ExpireOrder> results;
    results.reserve(orders.size());
    for (auto& p : orders) {
        results.push_back(std::move(p.result));
    }
    return ctx.Finish(JudgeExpire(results, ctx.Errors()));
}

}  // namespace ticketing::load

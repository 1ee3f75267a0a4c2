// Plumbing shared by the load tool's scenarios: the run context (options, recorder, progress),
// workers that take numbered tasks until a count or a duration is reached, waiting on a
// condition with a deadline, users and tickets created through the API, and the few parsers the
// scenarios need (ISO-8601 times, the id's timestamp).
// Thread-safety: TaskCounter::Next and the free functions are safe from any thread; a
// ScenarioContext is shared by the workers of one run (its members are thread-safe).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "load_client.hpp"
#include "progress.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace ticketing::load {

using SteadyClock = std::chrono::steady_clock;

struct ScenarioContext {
    explicit ScenarioContext(const LoadOptions& o)
        : options(o), progress(o.progress, recorder), started(SteadyClock::now()) {}

    std::chrono::milliseconds Timeout() const;
    ErrorCounts Errors() const;
    // Packs up the run: phases, the request table, the verdict.
    ScenarioReport Finish(Verdict verdict) const;

    const LoadOptions& options;
    Recorder recorder;
    Progress progress;
    SteadyClock::time_point started;
};

// Hands out task numbers 0, 1, 2, ... until `total` were handed out or, with a duration, until
// the duration has passed (then `total` is ignored).
class TaskCounter final {
public:
    TaskCounter(std::int64_t total, std::optional<double> duration_s);
    std::optional<std::int64_t> Next();

private:
    const std::int64_t total_;
    const std::optional<SteadyClock::time_point> end_;
    std::atomic<std::int64_t> next_{0};
};

// Runs `work(worker index)` on `threads` threads and joins them; the first exception a worker
// threw is rethrown then.
void RunWorkers(int threads, const std::function<void(int)>& work);

// Polls `condition` every `interval` until it holds or `deadline` passes; true if it held.
bool PollUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds deadline,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// An email no earlier run used: the run's tag (time and random) and a number.
std::string UniqueEmail(std::string_view role, std::int64_t n);

struct User {
    long status = 0;  // of the sign-up
    std::string id;
    Headers session;
};
User SignUp(LoadClient& client, std::string_view role, std::int64_t n);

// Signs up `buyers` users, then one seller (the last of the result), `concurrency` at a time,
// as the phase "sign-up". A failed sign-up leaves its User with that status.
std::vector<User> SignUpBuyersAndSeller(ScenarioContext& ctx, int buyers, std::string_view tag);

// POST /api/tickets; the answer's id is in the result's JSON.
HttpResult CreateTicket(LoadClient& client,
                        const User& seller,
                        const std::string& title,
                        double price);

// POST /api/orders, retrying 404 (the orders service learns of a ticket by an event) until the
// deadline.
HttpResult OrderWhenKnown(LoadClient& client,
                          const User& buyer,
                          const std::string& ticket_id,
                          std::chrono::milliseconds deadline);

// POST /api/payments with tok_visa, retrying 404 (the payments service learns of an order by an
// event) until the deadline.
HttpResult PayWhenKnown(LoadClient& client,
                        const User& buyer,
                        const std::string& order_id,
                        std::chrono::milliseconds deadline);

// The body as JSON, or null if it is not JSON.
nlohmann::json JsonOf(const HttpResult& result);
// A field of a JSON object, or nothing when `j` is not an object or the field has another type
// (an answer from a proxy or a broken service must not stop the tool).
std::string StringField(const nlohmann::json& j, const char* key);
std::optional<double> NumberField(const nlohmann::json& j, const char* key);
std::optional<int> IntField(const nlohmann::json& j, const char* key);

// "2026-11-22T10:00:00.000Z" -> ms since the epoch; nullopt when malformed.
std::optional<std::int64_t> ParseIsoMillis(std::string_view text);

// An id (24 hex, seconds first) that sorts before every id made at least a second before
// `id`'s time, for ?after= paging from just before a set of tickets; "" if `id` is malformed.
std::string IdJustBefore(std::string_view id);

}  // namespace ticketing::load

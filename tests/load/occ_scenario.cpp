// occ: the course's concurrency test (optimistic concurrency control). Chains run in parallel:
// sign up, create a ticket at 5, update it to 10, update it to 15 without waiting for the answer.
// Once every answer is in, each ticket must be at 15 version 2 in the tickets service, and the
// orders service's replica must agree: an order's answer carries the replica's ticket. A replica
// behind is an inconsistency only if it stays behind: the order is cancelled and placed again
// until the deadline.
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "scenarios.hpp"
#include "support.hpp"

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;

constexpr double kFirstPrice = 5;
constexpr double kSecondPrice = 10;
constexpr double kLastPrice = 15;
constexpr int kLastVersion = 2;

struct ChainRun {
    OccChain result;
    std::future<HttpResult> last_update;  // valid when the last update was fired
};

std::string TicketBody(std::int64_t n, double price) {
    return nlohmann::json{{"title", "occ " + std::to_string(n)}, {"price", price}}.dump();
}

// Sign up, create at 5, update to 10 (awaited), update to 15 (fired, not awaited).
ChainRun RunChain(LoadClient& client, AsyncSender& sender, std::int64_t n) {
    ChainRun run;
    OccChain& c = run.result;
    User seller = SignUp(client, "occ", n);
    c.signup_status = seller.status;
    if (seller.status != 201) {
        return run;
    }
    auto created =
        client.Post(kCreateTicket, "/api/tickets", TicketBody(n, kFirstPrice), seller.session);
    c.create_status = created.status;
    if (created.status != 201) {
        return run;
    }
    c.ticket_id = StringField(JsonOf(created), "id");
    const std::string path = "/api/tickets/" + c.ticket_id;
    c.update10_status =
        client.Put(kUpdateTicket, path, TicketBody(n, kSecondPrice), seller.session).status;
    if (c.update10_status != 200) {
        return run;
    }
    run.last_update =
        sender.Send(kUpdateTicket, "PUT", path, TicketBody(n, kLastPrice), seller.session);
    return run;
}

// The ticket as the tickets service has it: price, version, and whether an order holds it.
struct TicketState {
    std::optional<double> price;
    std::optional<int> version;
    bool reserved = false;
};

TicketState ShowTicket(LoadClient& client, const std::string& id) {
    auto r = client.Get(kShowTicket, "/api/tickets/" + id);
    TicketState state;
    auto j = JsonOf(r);
    if (r.status == 200 && j.is_object()) {
        state.price = NumberField(j, "price");
        state.version = IntField(j, "version");
        state.reserved = j.contains("orderId");
    }
    return state;
}

// Checks one chain's ticket in tickets, then in the orders service's replica (see the header).
void Verify(LoadClient& client, const User& buyer, OccChain& c, std::chrono::milliseconds timeout) {
    if (c.update15_status != 200) {
        return;
    }
    TicketState state;
    PollUntil(
        [&] {
            state = ShowTicket(client, c.ticket_id);
            return state.price == kLastPrice && state.version == kLastVersion;
        },
        timeout);
    c.tickets_price = state.price;
    c.tickets_version = state.version;
    if (!(state.price == kLastPrice && state.version == kLastVersion)) {
        return;
    }
    int expected_version = kLastVersion;
    const auto end = SteadyClock::now() + timeout;
    while (SteadyClock::now() < end) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now());
        auto order = OrderWhenKnown(client, buyer, c.ticket_id, left);
        c.order_status = order.status;
        if (order.status != 201) {
            std::this_thread::sleep_for(100ms);
            continue;
        }
        auto j = JsonOf(order);
        auto ticket = j.is_object() ? j.value("ticket", nlohmann::json()) : nlohmann::json();
        c.order_price = NumberField(ticket, "price");
        c.order_version = IntField(ticket, "version");
        c.expected_order_version = expected_version;
        if (c.order_price == kLastPrice && c.order_version == expected_version) {
            return;
        }
        // The replica is behind: cancel, wait until tickets has reserved and released the
        // ticket for that order (two versions more), and order again at the version tickets
        // then has.
        ++c.replica_lags;
        client.Delete(kCancelOrder, "/api/orders/" + StringField(j, "id"), buyer.session);
        const int released_version = expected_version + 2;
        PollUntil(
            [&] {
                state = ShowTicket(client, c.ticket_id);
                return state.version >= released_version && !state.reserved;
            },
            std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now()));
        if (state.version) {
            expected_version = *state.version;
        }
    }
}

}  // namespace

ScenarioReport RunOcc(const LoadOptions& options) {
    ScenarioContext ctx(options);
    std::mutex runs_mutex;
    std::deque<ChainRun> runs;  // guarded by runs_mutex while the chains run
    {
        AsyncSender sender(options.base_url, ctx.recorder, options.concurrency);
        TaskCounter tasks(options.chains, options.duration_s);
        ctx.progress.Begin("chains", options.duration_s ? 0 : options.chains);
        RunWorkers(options.concurrency, [&](int) {
            LoadClient client(options.base_url, ctx.recorder);
            while (auto n = tasks.Next()) {
                ChainRun run = RunChain(client, sender, *n);
                {
                    std::lock_guard lock(runs_mutex);
                    runs.push_back(std::move(run));
                }
                ctx.progress.Tick();
            }
        });
        ctx.progress.End();

        // The last updates' answers, collected before anything is judged.
        ctx.progress.Begin("settle", static_cast<std::int64_t>(runs.size()));
        for (auto& run : runs) {
            if (run.last_update.valid()) {
                run.result.update15_status = run.last_update.get().status;
            }
            ctx.progress.Tick();
        }
        ctx.progress.End();
    }

    ctx.progress.Begin("verify", static_cast<std::int64_t>(runs.size()));
    TaskCounter checks(static_cast<std::int64_t>(runs.size()), std::nullopt);
    RunWorkers(options.concurrency, [&](int worker) {
        LoadClient client(options.base_url, ctx.recorder);
        std::optional<User> buyer;
        while (auto i = checks.Next()) {
            OccChain& c = runs[static_cast<std::size_t>(*i)].result;
            if ((!buyer || buyer->status != 201) && c.update15_status == 200) {
                buyer = SignUp(client, "occ-buyer", worker);
            }
            if (buyer && buyer->status == 201) {
                Verify(client, *buyer, c, ctx.Timeout());
            }
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();

    std::vector<OccChain> chains;
    chains.reserve(runs.size());
    for (auto& run : runs) {
        chains.push_back(std::move(run.result));
    }
    return ctx.Finish(JudgeOcc(chains, ctx.Errors()));
}

}  // namespace ticketing::load

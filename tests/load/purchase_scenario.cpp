// purchase: full user flows in parallel. Each user signs up, lists the tickets, orders a ticket
// a seller listed for them (one distinct ticket per user), and pays with the sandbox's tok_visa.
// Then every order must reach `complete` and its ticket must stay reserved by that order.
// Payments learns of an order by an event, so a 404 on paying is retried until the deadline.
#include <deque>
#include <mutex>

#include "scenarios.hpp"
#include "support.hpp"

namespace ticketing::load {
namespace {

constexpr double kPrice = 20;

struct FlowRun {
    PurchaseFlow result;
    Headers buyer_session;  // for the checks after the flows
};

FlowRun RunFlow(LoadClient& client,
                const User& seller,
                std::int64_t n,
                std::chrono::milliseconds timeout) {
    FlowRun run;
    PurchaseFlow& f = run.result;
    User user = SignUp(client, "purchase", n);
    f.signup_status = user.status;
    if (user.status != 201) {
        return run;
    }
    run.buyer_session = user.session;
    auto ticket = CreateTicket(client, seller, "purchase " + std::to_string(n), kPrice);
    f.create_status = ticket.status;
    if (ticket.status != 201) {
        return run;
    }
    f.ticket_id = StringField(JsonOf(ticket), "id");
    f.list_status = client.Get(kListTickets, "/api/tickets", user.session).status;
    auto order = OrderWhenKnown(client, user, f.ticket_id, timeout);
    f.order_status = order.status;
    if (order.status != 201) {
        return run;
    }
    f.order_id = StringField(JsonOf(order), "id");
    HttpResult paid = PayWhenKnown(client, user, f.order_id, timeout);
    f.payment_status = paid.status;
    if (paid.status != 201) {
        f.payment_body = paid.body;
    }
    return run;
}

// Waits until the order is complete and the ticket is reserved by it, or the deadline.
void Verify(LoadClient& client, FlowRun& run, std::chrono::milliseconds timeout) {
    PurchaseFlow& f = run.result;
    if (f.payment_status != 201) {
        return;
    }
    PollUntil(
        [&] {
            auto j = JsonOf(client.Get(kShowOrder, "/api/orders/" + f.order_id, run.buyer_session));
            f.final_order_status = StringField(j, "status");
            return f.final_order_status == "complete";
        },
        timeout);
    PollUntil(
        [&] {
            auto j = JsonOf(client.Get(kShowTicket, "/api/tickets/" + f.ticket_id));
            f.ticket_order_id = StringField(j, "orderId");
            return f.ticket_order_id == f.order_id;
        },
        timeout);
}

}  // namespace

ScenarioReport RunPurchase(const LoadOptions& options) {
    ScenarioContext ctx(options);
    std::mutex runs_mutex;
    std::deque<FlowRun> runs;  // guarded by runs_mutex while the flows run

    ctx.progress.Begin("flows", options.duration_s ? 0 : options.users);
    TaskCounter tasks(options.users, options.duration_s);
    RunWorkers(options.concurrency, [&](int worker) {
        LoadClient client(options.base_url, ctx.recorder);
        User seller = SignUp(client, "purchase-seller", worker);
        while (auto n = tasks.Next()) {
            FlowRun run;
            if (seller.status == 201) {
                run = RunFlow(client, seller, *n, ctx.Timeout());
            } else {
                run.result.signup_status = 201;
                run.result.create_status = seller.status;  // no seller, no ticket
            }
            {
                std::lock_guard lock(runs_mutex);
                runs.push_back(std::move(run));
            }
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();

    ctx.progress.Begin("verify", static_cast<std::int64_t>(runs.size()));
    TaskCounter checks(static_cast<std::int64_t>(runs.size()), std::nullopt);
    RunWorkers(options.concurrency, [&](int) {
        LoadClient client(options.base_url, ctx.recorder);
        while (auto i = checks.Next()) {
            Verify(client, runs[static_cast<std::size_t>(*i)], ctx.Timeout());
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();

    std::vector<PurchaseFlow> flows;
    flows.reserve(runs.size());
    for (auto& run : runs) {
        flows.push_back(std::move(run.result));
    }
    return ctx.Finish(JudgePurchase(flows, ctx.Errors()));
}

}  // namespace ticketing::load

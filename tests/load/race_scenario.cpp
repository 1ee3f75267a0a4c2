// race: every buyer orders the same ticket at the same moment (they start on a barrier), ticket
// after ticket. The orders service must answer exactly one 201 per ticket and "Ticket is already
// reserved" to everyone else, whichever replica each request reaches. A 404 (the orders service
// has not yet heard of the ticket) is retried until the deadline; only one buyer can win anyway.
#include <barrier>

#include "scenarios.hpp"
#include "support.hpp"

namespace ticketing::load {

ScenarioReport RunRace(const LoadOptions& options) {
    ScenarioContext ctx(options);
    const int buyer_count = std::max(options.buyers, 1);
    const int ticket_count = std::max(options.tickets, 0);

    std::vector<User> users = SignUpBuyersAndSeller(ctx, buyer_count, "race");
    const User& seller = users.back();

    std::vector<RaceTicket> tickets(static_cast<std::size_t>(ticket_count));
    ctx.progress.Begin("tickets", ticket_count);
    TaskCounter creations(ticket_count, std::nullopt);
    RunWorkers(options.concurrency, [&](int) {
        LoadClient client(options.base_url, ctx.recorder);
        while (auto i = creations.Next()) {
            RaceTicket& t = tickets[static_cast<std::size_t>(*i)];
            t.answers.resize(static_cast<std::size_t>(buyer_count));
            if (seller.status != 201) {
                t.create_status = seller.status;
            } else {
                auto r = CreateTicket(client, seller, "race " + std::to_string(*i), 20);
                t.create_status = r.status;
                t.ticket_id = StringField(JsonOf(r), "id");
            }
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();

    ctx.progress.Begin("race", ticket_count);
    std::barrier sync(buyer_count);
    RunWorkers(buyer_count, [&](int b) {
        LoadClient client(options.base_url, ctx.recorder);
        const User& buyer = users[static_cast<std::size_t>(b)];
        for (auto& t : tickets) {
            sync.arrive_and_wait();  // everyone starts this ticket at once
            RaceAnswer& answer = t.answers[static_cast<std::size_t>(b)];
            if (t.create_status == 201 && buyer.status == 201) {
                auto r = OrderWhenKnown(client, buyer, t.ticket_id, ctx.Timeout());
                answer = {r.status, r.body};
            } else if (buyer.status != 201) {
                answer = {buyer.status, "(this buyer's sign-up failed)"};
            }
            sync.arrive_and_wait();  // everyone is done with this ticket
            if (b == 0) {
                ctx.progress.Tick();
            }
        }
    });
    ctx.progress.End();

    return ctx.Finish(JudgeRace(tickets, ctx.Errors()));
}

}  // namespace ticketing::load

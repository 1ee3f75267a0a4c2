// ticketing-tickets: create, list, show and edit tickets; reserves and releases them as orders
// are created and cancelled (DESIGN.md sections 4 and 5).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/service/commands.hpp"
#include "common/service/runtime.hpp"
#include "common/util/ids.hpp"

#include "domain/ticket_service.hpp"
#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "replay/tickets_replayer.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_ticket_repository.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "tickets");
    env.Finish();

    service::Runtime rt(cfg, "tickets-service");
    rt.OpenDatabase(tickets::Migrations());
    rt.PruneAlso(tickets::SqlTicketRepository::CancelledOrdersRetention());
    rt.ConnectBus();

    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    tickets::SqlTicketsTransactions transactions(rt.db(), [&rt] { rt.relay().Wake(); });
    tickets::TicketService service(transactions, clock, ids);
    tickets::Listeners listeners({transactions, clock});
    listeners.SubscribeAll(rt.subscriber());
    const auth::SessionSettings session = rt.Sessions();
    return rt.Serve(tickets::BuildRouter(service, session));
}

}  // namespace

int main(int argc, char** argv) {
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "tickets",
         .queue_group = "tickets-service",
         .serve = Serve,
         .migrations = ticketing::tickets::Migrations(),
         .replayer = [] { return std::make_unique<ticketing::tickets::TicketsReplayer>(); },
         .dump_tables = ticketing::tickets::DumpTables()});
}

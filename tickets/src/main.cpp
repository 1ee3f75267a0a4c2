// ticketing-tickets: create, list, show and edit tickets; reserves and releases them as orders
// are created and cancelled (DESIGN.md sections 4 and 5).
// Composition root: configuration, then the one builder every service uses.
#include <memory>

#include "common/service/commands.hpp"
#include "common/service/service_builder.hpp"

#include "assembly.hpp"
#include "replay/tickets_replayer.hpp"
#include "storage/migrations.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "tickets");
    env.Finish();
    service::ServiceBuilder builder(cfg, "tickets-service");
    tickets::Assemble(builder);
    return builder.Serve();
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

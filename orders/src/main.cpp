// ticketing-orders: reserve, list, show and cancel orders; keeps a replica of the tickets and
// reacts to expirations and payments (DESIGN.md sections 4 and 5).
// Composition root: configuration, then the one builder every service uses.
#include <memory>

#include "common/service/commands.hpp"
#include "common/service/service_builder.hpp"

#include "assembly.hpp"
#include "replay/orders_replayer.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_order_repository.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "orders");
    orders::Settings settings;
    settings.expiration_window =
        std::chrono::seconds(env.Int("EXPIRATION_WINDOW_SECONDS", 900, 1, 7 * 24 * 3600));
    env.Finish();
    service::ServiceBuilder builder(cfg, "orders-service");
    orders::Assemble(builder, settings);
    return builder.Serve();
}

}  // namespace

int main(int argc, char** argv) {
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "orders",
         .queue_group = "orders-service",
         .serve = Serve,
         .migrations = ticketing::orders::Migrations(),
         .replayer = [] { return std::make_unique<ticketing::orders::OrdersReplayer>(); },
         .dump_tables = ticketing::orders::DumpTables()});
}

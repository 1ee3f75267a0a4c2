// ticketing-orders: reserve, list, show and cancel orders; keeps a replica of the tickets and
// reacts to expirations and payments (DESIGN.md sections 4 and 5).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/service/commands.hpp"
#include "common/service/runtime.hpp"
#include "common/util/ids.hpp"

#include "domain/order_service.hpp"
#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "replay/orders_replayer.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_order_repository.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "orders");
    auto window = env.Int("EXPIRATION_WINDOW_SECONDS", 900, 1, 7 * 24 * 3600);
    env.Finish();

    service::Runtime rt(cfg, "orders-service");
    rt.OpenDatabase(orders::Migrations());
    rt.ConnectBus();

    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    orders::SqlOrdersTransactions transactions(rt.db(), [&rt] { rt.relay().Wake(); });
    orders::OrderService service(transactions, clock, ids, std::chrono::seconds(window));
    orders::Listeners listeners({transactions, clock});
    listeners.SubscribeAll(rt.subscriber());
    const auth::SessionSettings session = rt.Sessions();
    return rt.Serve(orders::BuildRouter(service, session));
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

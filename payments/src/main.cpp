// ticketing-payments: pay for orders exactly once through the configured payment gateway, keep a
// replica of the orders, refund what was paid for cancelled orders (DESIGN.md sections 4 and 5).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/service/commands.hpp"
#include "common/service/runtime.hpp"
#include "common/util/ids.hpp"

#include "domain/payment_service.hpp"
#include "domain/recovery_worker.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/metered_gateway.hpp"
#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "replay/payments_replayer.hpp"
#include "storage/migrations.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "payments");
    auto gateway_cfg = payments::GatewayConfig::FromEnv(env);
    env.Finish();

    service::Runtime rt(cfg, "payments-service");
    rt.OpenDatabase(payments::Migrations());
    rt.ConnectBus();

    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    auto configured_gateway = payments::MakeGateway(gateway_cfg);
    payments::MeteredGateway gateway(*configured_gateway, rt.metrics());
    auto wake = [&rt] { rt.relay().Wake(); };
    payments::PaymentService service(rt.db(), gateway, clock, ids, wake);
    payments::Listeners listeners({rt.db(), service});
    listeners.SubscribeAll(rt.subscriber());
    payments::RecoveryWorker recovery(service, std::chrono::seconds(30));
    auth::SessionSettings session{cfg.jwt_key, cfg.session_ttl, &clock};
    return rt.Serve(payments::BuildRouter(service, session));
}

}  // namespace

int main(int argc, char** argv) {
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "payments",
         .queue_group = "payments-service",
         .serve = Serve,
         .migrations = ticketing::payments::Migrations(),
         .replayer = [] { return std::make_unique<ticketing::payments::PaymentsReplayer>(); },
         .dump_tables = ticketing::payments::DumpTables()});
}

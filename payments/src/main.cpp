// ticketing-payments: pay for orders exactly once through the configured payment gateway, keep a
// replica of the orders, capture what was authorised for completed orders and release it for
// cancelled ones (DESIGN.md sections 4 and 5).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/metrics/registry.hpp"
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
#include "storage/sql_payments_unit_of_work.hpp"

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
    payments::SqlPaymentsTransactions transactions(rt.db(), [&rt] { rt.relay().Wake(); });
    auto& settlement_failures = rt.metrics().AddCounter(
        "payments_settlement_failures_total",
        "Captures and releases the gateway refused for good (the payment is failed), by action");
    payments::PaymentServiceOptions options;
    options.on_settlement_failed = [&settlement_failures](payments::Settlement settlement) {
        settlement_failures.With({{"action", std::string(payments::ToString(settlement))}}).Inc();
    };
    rt.metrics().AddCallbackGauge(
        "payments_failed_settlements",
        "Payments whose capture or release the gateway refused for good (shown by status)",
        [&transactions] {
            try {
                return static_cast<double>(transactions.Read([](payments::PaymentsUnitOfWork& uow) {
                    return uow.payments().CountFailedSettlements();
                }));
            } catch (const std::exception&) {
                return -1.0;  // the database is down: readiness says so too
            }
        });
    payments::PaymentService service(transactions, gateway, clock, ids, options);
    payments::Listeners listeners({transactions, service});
    listeners.SubscribeAll(rt.subscriber());
    payments::RecoveryWorker recovery(service, std::chrono::seconds(30));
    const auth::SessionSettings session = rt.Sessions();
    return rt.Serve(payments::BuildRouter(
        service, session, {gateway_cfg.kind, gateway_cfg.stripe_publishable_key}));
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

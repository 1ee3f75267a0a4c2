// ticketing-payments: pay for orders exactly once through the configured payment gateway, keep a
// replica of the orders, capture what was authorised for completed orders and release it for
// cancelled ones (DESIGN.md sections 4 and 5).
// Composition root: configuration, then the one builder every service uses.
#include <memory>

#include "common/service/commands.hpp"
#include "common/service/service_builder.hpp"

#include "assembly.hpp"
#include "gateway/gateway_config.hpp"
#include "replay/payments_replayer.hpp"
#include "storage/migrations.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "payments");
    auto gateway_cfg = payments::GatewayConfig::FromEnv(env);
    env.Finish();
    // Before the builder, so it outlives everything the builder owns.
    auto gateway = payments::MakeGateway(gateway_cfg);
    service::ServiceBuilder builder(cfg, "payments-service");
    payments::Settings settings;
    settings.public_config = {gateway_cfg.kind, gateway_cfg.stripe_publishable_key};
    payments::Assemble(builder, *gateway, settings);
    return builder.Serve();
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

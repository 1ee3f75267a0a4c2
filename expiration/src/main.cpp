// ticketing-expiration: expires unpaid orders (DESIGN.md section 6). Listens to order:created
// (schedule a job at expiresAt), order:cancelled and order:completed (remove it); a worker
// publishes expiration:complete when a job is due. Serves only /healthz, /readyz and /metrics.
// Composition root: configuration, then the one builder every service uses.
#include <iostream>
#include <string>

#include "common/service/commands.hpp"
#include "common/service/service_builder.hpp"

#include "assembly.hpp"
#include "config/expiration_config.hpp"
#include "listeners/listeners.hpp"
#include "replay/replay_jobs.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto config = expiration::ExpirationConfig::FromEnv(env);
    env.Finish();
    service::ServiceBuilder builder(config.common, std::string(expiration::kQueueGroup));
    expiration::Assemble(builder, {config.redis, {}});
    return builder.Serve();
}

int Replay(const service::ReplayOptions& options) {
    config::EnvReader env;
    auto config = expiration::ExpirationConfig::FromEnv(env);
    env.Finish();
    return expiration::ReplayJobs(config, options.force, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "expiration",
         .queue_group = std::string(ticketing::expiration::kQueueGroup),
         .serve = Serve,
         .replay = Replay});
}

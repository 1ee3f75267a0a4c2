// ticketing-expiration: expires unpaid orders (DESIGN.md section 6). Listens to order:created
// (schedule a job at expiresAt), order:cancelled and order:completed (remove it); a worker
// publishes expiration:complete when a job is due. Serves only /healthz, /readyz and /metrics.
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <array>
#include <csignal>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/config/env.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/commands.hpp"
#include "common/util/clock.hpp"

#include "config/expiration_config.hpp"
#include "listeners/listeners.hpp"
#include "replay/replay_jobs.hpp"
#include "storage/redis_job_queue.hpp"
#include "worker/expiration_metrics.hpp"
#include "worker/expiration_worker.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto config = expiration::ExpirationConfig::FromEnv(env);
    env.Finish();
    log::Init("expiration", log::ParseLevel(config.common.log_level).value_or(log::Level::kInfo));

    util::SystemClock clock;
    metrics::Registry registry;
    expiration::ExpirationMetrics metrics(registry);

    bus::ConnectionOptions bus_options;
    bus_options.url = config.common.nats_url;
    bus_options.user = config.common.nats_user;
    bus_options.password = config.common.nats_password;
    bus_options.name = "expiration";
    bus_options.stream_replicas = config.common.nats_stream_replicas;
    auto connection = bus::NatsConnection::Connect(bus_options);
    connection->EnsureStreams();
    bus::NatsPublisher publisher(*connection, registry);

    // Two connections: a burst of order events never delays the worker's passes.
    expiration::RedisJobQueueOptions queue_options;
    queue_options.endpoint = config.redis;
    expiration::RedisJobQueue worker_queue(queue_options);
    expiration::RedisJobQueue listener_queue(queue_options);
    expiration::ExpirationWorker worker(worker_queue, publisher, clock, metrics);

    http::ServerOptions http_options;
    http_options.address = config.common.http_address;
    http_options.port = static_cast<std::uint16_t>(config.common.http_port);
    http_options.workers = static_cast<std::size_t>(config.common.http_workers);
    http::Server server(http_options, http::Router{}, registry);
    server.AddReadinessCheck("redis", [&listener_queue] { return listener_queue.Ping(); });
    server.AddReadinessCheck("bus", [&connection] { return connection->IsConnected(); });

    log::Info("expiration service starting",
              {{"redis", expiration::Describe(config.redis)},
               {"nats", config::MaskCredentials(config.common.nats_url)},
               {"http_port", config.common.http_port}});
    worker.Start();
    // Last, so it is destroyed first: no handler runs once the worker and queues go.
    bus::SubscriberOptions subscriber_options;
    subscriber_options.queue_group = std::string(expiration::kQueueGroup);
    subscriber_options.retry_horizon = config.common.nats_retry_horizon;
    // While Redis does not answer, a failed order event waits for it in place (no dead letter).
    subscriber_options.dependencies_ready = [&listener_queue] { return listener_queue.Ping(); };
    bus::NatsSubscriber subscriber(*connection, subscriber_options, registry);
    expiration::SubscribeListeners(subscriber, listener_queue, worker, metrics);

    server.RunUntilSignal();
    log::Info("expiration service stopping");
    return 0;
}

int Replay(const service::ReplayOptions& options) {
    config::EnvReader env;
    auto config = expiration::ExpirationConfig::FromEnv(env);
    env.Finish();
    return expiration::ReplayJobs(config, options.force, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
    ticketing::http::BlockTerminationSignals();
    // hiredis writes with write(2): a Redis that went away must give EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "expiration",
         .queue_group = std::string(ticketing::expiration::kQueueGroup),
         .serve = Serve,
         .replay = Replay});
}

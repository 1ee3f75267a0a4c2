#include "assembly.hpp"

#include "common/bus/publisher.hpp"
#include "common/config/env.hpp"
#include "common/log/log.hpp"

#include "listeners/listeners.hpp"
#include "storage/redis_job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {

Parts Assemble(service::ServiceBuilder& b, const Settings& settings) {
    b.ConnectBus();
    auto& metrics = b.Make<ExpirationMetrics>(b.metrics());
    // Three connections: a burst of order events never delays the worker's passes, and
    // scheduling (order:created) does not wait behind removals (order:cancelled/completed).
    RedisJobQueueOptions queue_options;
    queue_options.endpoint = settings.redis;
    auto& worker_queue = b.Make<RedisJobQueue>(queue_options);
    auto& listener_queue = b.Make<RedisJobQueue>(queue_options);
    auto& removal_queue = b.Make<RedisJobQueue>(queue_options);
    auto& worker = b.Make<ExpirationWorker>(worker_queue,
                                            b.publisher(),
                                            b.clock(),
                                            metrics,
                                            settings.worker);
    b.Worker([&worker] { worker.Start(); }, [&worker] { worker.Stop(); });
    // While Redis does not answer, a failed order event waits for it in place (no dead letter).
    b.ReadinessCheck("redis", [&listener_queue] { return listener_queue.Ping(); });
    // A wide window: after a Redis outage the held backlog drains in few round trips (the
    // copies that pile up behind the held delivery meanwhile are cheap; README, "1024 events in
    // flight").
    b.MaxEventsInFlight(1024);
    auto& listeners = b.Make<Listeners>(listener_queue, removal_queue, worker, metrics);
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    log::Info("expiration service starting",
              {{"redis", Describe(settings.redis)},
               {"nats", config::MaskCredentials(b.config().nats_url)},
               {"http_port", b.config().http_port}});
    return {worker, metrics};
}

}  // namespace ticketing::expiration

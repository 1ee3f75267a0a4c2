// How the expiration service is put together on a ServiceBuilder: the bus (no database: Redis
// holds the jobs), two Redis queues, the worker, the listeners and the readiness checks (it
// serves only /healthz, /readyz and /metrics). main() and the integration fixtures both call
// it, so what the tests run is what the binary runs.
// Thread-safety: call once, from the thread that builds.
#pragma once

#include "common/service/service_builder.hpp"

#include "storage/redis_endpoint.hpp"
#include "worker/expiration_metrics.hpp"
#include "worker/expiration_worker.hpp"

namespace ticketing::expiration {

struct Settings {
    RedisEndpoint redis;  // REDIS_URL
    WorkerOptions worker;
};

// What Assemble made, for a test to look at.
struct Parts {
    ExpirationWorker& worker;
    ExpirationMetrics& metrics;
};

// Connects the bus, makes the queues, the metrics and the worker (owned by `b`), registers the
// listeners, the worker and the "redis" readiness check (which also holds order events while
// Redis is away).
Parts Assemble(service::ServiceBuilder& b, const Settings& settings);

}  // namespace ticketing::expiration

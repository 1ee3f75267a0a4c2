// The expiration service's metrics (DESIGN.md section 11), registered once in the process's
// Registry and shared by the listeners and the worker. Every replica reports the queue-wide
// gauges it last saw (aggregate them with max, not sum).
// Thread-safety: the metrics are atomics; safe from any thread.
#pragma once

#include "common/metrics/registry.hpp"

namespace ticketing::expiration {

struct ExpirationMetrics {
    explicit ExpirationMetrics(metrics::Registry& registry);

    metrics::Gauge& queue_depth;   // jobs waiting for their time
    metrics::Gauge& active_jobs;   // jobs claimed by a worker (leased)
    metrics::Histogram& lateness;  // publish time minus due time, seconds
    metrics::Counter& retries_publish_failed;
    metrics::Counter& retries_lease_expired;
    metrics::Counter& fired;      // expiration:complete acknowledged by JetStream
    metrics::Counter& scheduled;  // jobs added by order:created
    metrics::Counter& removed;    // jobs removed by order:cancelled / order:completed
    metrics::Counter& poll_errors;
};

}  // namespace ticketing::expiration

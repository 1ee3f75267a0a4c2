#include "worker/expiration_metrics.hpp"

namespace ticketing::expiration {
namespace {

// Lateness is tens of milliseconds when all is well and seconds to minutes after an outage.
std::vector<double> LatenessBuckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900};
}

}  // namespace

ExpirationMetrics::ExpirationMetrics(metrics::Registry& registry)
    : queue_depth(registry
                      .AddGauge("expiration_queue_depth",
                                "Expiration jobs waiting for their due time (queue-wide)")
                      .With()),
      active_jobs(registry
                      .AddGauge("expiration_active_jobs",
                                "Expiration jobs claimed by a worker (queue-wide)")
                      .With()),
      lateness(registry
                   .AddHistogram("expiration_lateness_seconds",
                                 "expiration:complete publish time minus the order's expiresAt",
                                 LatenessBuckets())
                   .With()),
      retries_publish_failed(
          registry.AddCounter("expiration_retries_total", "Expiration jobs run again, by reason")
              .With({{"reason", "publish_failed"}})),
      retries_lease_expired(
          registry.AddCounter("expiration_retries_total", "Expiration jobs run again, by reason")
              .With({{"reason", "lease_expired"}})),
      fired(registry
                .AddCounter("expiration_jobs_fired_total",
                            "expiration:complete events acknowledged by JetStream")
                .With()),
      scheduled(registry
                    .AddCounter("expiration_jobs_scheduled_total",
                                "Expiration jobs added for order:created")
                    .With()),
      removed(registry
                  .AddCounter("expiration_jobs_removed_total",
                              "Expiration jobs removed for order:cancelled or order:completed")
                  .With()),
      poll_errors(registry
                      .AddCounter("expiration_poll_errors_total",
                                  "Worker passes that failed (Redis unreachable, ...)")
                      .With()) {}

}  // namespace ticketing::expiration

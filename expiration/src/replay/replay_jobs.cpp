#include "replay/replay_jobs.hpp"

#include <chrono>

#include "common/bus/connection.hpp"
#include "common/bus/stream_log.hpp"
#include "common/log/log.hpp"

#include "listeners/listeners.hpp"
#include "replay/pending_jobs.hpp"
#include "storage/redis_job_queue.hpp"

namespace ticketing::expiration {

using namespace std::chrono_literals;

int ReplayJobs(const ExpirationConfig& config,
               bool force,
               std::ostream& out,
               std::ostream& progress) {
    log::Init("expiration", log::Level::kWarn);
    bus::ConnectionOptions co;
    co.url = config.common.nats_url;
    co.user = config.common.nats_user;
    co.password = config.common.nats_password;
    co.name = "expiration-replay";
    co.initial_wait = 10s;
    auto connection = bus::NatsConnection::Connect(co);
    if (!connection->IsConnected()) {
        progress << "replay expiration: NATS at " << config::MaskCredentials(config.common.nats_url) << " is unreachable\n";
        return 1;
    }
    if (!force) {
        auto bound = bus::BoundConsumers(*connection, kQueueGroup);
        if (!bound.empty()) {
            progress << "replay expiration: refused, the service is running (" << bound.front()
                     << " has a subscriber). Stop its replicas first, or pass --force.\n";
            return 1;
        }
    }
    RedisJobQueueOptions qo;
    qo.endpoint = config.redis;
    RedisJobQueue queue(qo);
    if (!queue.Ping()) {
        progress << "replay expiration: Redis at " << Describe(config.redis)
                 << " does not answer\n";
        return 1;
    }

    PendingJobs pending;
    std::uint64_t relevant = 0;
    auto start = std::chrono::steady_clock::now();
    std::uint64_t read =
        bus::ReadAll(*connection, 1, 2000, [&](std::span<const bus::StoredEvent> batch) {
            for (const auto& e : batch) {
                relevant += pending.Apply(e) ? 1 : 0;
            }
            progress << "\rreplay expiration: " << batch.back().sequence << " events read"
                     << std::flush;
        });
    progress << "\n";
    std::size_t added = 0, present = 0, finished = 0;
    for (const auto& job : pending.Jobs()) {
        switch (queue.Schedule(job.order_id, job.due, EncodePayload(job)).outcome) {
            case ScheduleResult::Outcome::kAdded:
                ++added;
                break;
            case ScheduleResult::Outcome::kAlreadyScheduled:
                ++present;
                break;
            case ScheduleResult::Outcome::kAlreadyFinished:
                ++finished;
                break;
        }
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out << "replay of expiration done in " << seconds << " s: " << read << " events read, "
        << relevant << " about orders; " << pending.Jobs().size() << " job(s) pending: " << added
        << " scheduled, " << present << " already in Redis, " << finished
        << " finished recently (left alone)\n";
    return 0;
}

}  // namespace ticketing::expiration

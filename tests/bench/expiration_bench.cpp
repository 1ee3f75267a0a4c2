// ticketing-expiration-bench: the expiration queue under a burst (issue 7). Schedules N jobs
// (default 100 000) due evenly across a W-second window (default 10 s) in a real redis-server,
// lets one ExpirationWorker (the service's own, with the service's options) publish
// expiration:complete to a real nats-server (JetStream, file store), and reports how many fired,
// the lateness (JetStream acknowledgement time minus due time) p50/p99/max and jobs per second.
// Both servers are started here on free loopback ports, in a temporary directory.
// Usage: ticketing-expiration-bench [--jobs N] [--window-s W] [--lead-s L]
//   L: how far after the start the window opens, so that scheduling finishes before the first
//   job is due (the scheduling rate is printed; a warning says when L was too short).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/servers.hpp"
#include "common/util/clock.hpp"

#include "storage/redis_endpoint.hpp"
#include "storage/redis_job_queue.hpp"
#include "worker/expiration_metrics.hpp"
#include "worker/expiration_worker.hpp"

namespace {

using namespace ticketing;
using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;

// Publishes through the real publisher and notes when each job's event was acknowledged.
// Redis runs on this machine, so its TIME and the system clock are the same clock.
class TimingPublisher final : public bus::EventPublisher {
public:
    explicit TimingPublisher(bus::EventPublisher& inner) : inner_(inner) {}

    std::vector<bool> PublishBatch(std::span<const bus::Envelope> batch) override {
        auto acked = inner_.PublishBatch(batch);
        auto now = SysClock::now();
        std::lock_guard lock(mu_);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (acked[i]) {
                // A job that runs again (publish failed) keeps its first acknowledgement.
                acked_at_.try_emplace(batch[i].event_id, now);
            }
        }
        return acked;
    }

    std::size_t Count() const {
        std::lock_guard lock(mu_);
        return acked_at_.size();
    }
    std::unordered_map<std::string, SysClock::time_point> Snapshot() const {
        std::lock_guard lock(mu_);
        return acked_at_;
    }

private:
    bus::EventPublisher& inner_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, SysClock::time_point> acked_at_;
};

double Ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

void Progress(const char* what, std::size_t done, std::size_t total) {
    std::fprintf(stderr, "\r%-28s %8zu / %zu", what, done, total);
    if (done >= total) {
        std::fprintf(stderr, "\n");
    }
}

std::string OrderId(std::size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%024zx", i + 1);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t jobs = 100000;
    int window_s = 10;
    int lead_s = 15;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--jobs" && i + 1 < argc) {
            jobs = std::stoul(argv[++i]);
        } else if (a == "--window-s" && i + 1 < argc) {
            window_s = std::stoi(argv[++i]);
        } else if (a == "--lead-s" && i + 1 < argc) {
            lead_s = std::stoi(argv[++i]);
        } else {
            std::fprintf(stderr,
                         "usage: ticketing-expiration-bench [--jobs N] [--window-s W] "
                         "[--lead-s L]\n");
            return 2;
        }
    }
    if (jobs == 0 || window_s <= 0 || lead_s <= 0) {
        std::fprintf(stderr, "jobs, window and lead must be positive\n");
        return 2;
    }
    log::Init("bench", log::Level::kError);
    test::NatsServer nats;
    test::RedisServer redis;
    metrics::Registry registry;
    bus::ConnectionOptions co;
    co.url = nats.Url();
    auto connection = bus::NatsConnection::Connect(co);
    connection->EnsureStreams();
    bus::NatsPublisher nats_publisher(*connection, registry);
    TimingPublisher publisher(nats_publisher);

    expiration::RedisJobQueueOptions qo;
    qo.endpoint = *expiration::ParseRedisUrl(redis.Url());

    // Schedule: due times evenly across [start + lead, start + lead + window).
    auto start = SysClock::now();
    auto window_open = start + std::chrono::seconds(lead_s);
    auto step = std::chrono::duration_cast<util::TimePoint::duration>(
        std::chrono::duration<double>(window_s) / static_cast<double>(jobs));
    std::vector<util::TimePoint> due(jobs);
    for (std::size_t i = 0; i < jobs; ++i) {
        due[i] = window_open + step * static_cast<long>(i);
    }
    // Four scheduling connections in parallel, as several listeners would.
    const std::size_t kSchedulers = 4;
    std::atomic<std::size_t> scheduled{0};
    std::vector<std::thread> schedulers;
    for (std::size_t t = 0; t < kSchedulers; ++t) {
        schedulers.emplace_back([&, t] {
            expiration::RedisJobQueue q(qo);
            for (std::size_t i = t; i < jobs; i += kSchedulers) {
                q.Schedule(OrderId(i), due[i], "{}");
                scheduled.fetch_add(1);
            }
        });
    }
    while (scheduled.load() < jobs) {
        Progress("scheduling", scheduled.load(), jobs);
        std::this_thread::sleep_for(200ms);  // progress display only
    }
    for (auto& t : schedulers) {
        t.join();
    }
    Progress("scheduling", jobs, jobs);
    auto scheduled_at = SysClock::now();
    double schedule_rate = static_cast<double>(jobs) / (Ms(scheduled_at - start) / 1000.0);
    bool lead_too_short = scheduled_at > window_open;

    // Fire: one worker with the service's options (batch 256, max sleep 100 ms).
    util::SystemClock clock;
    expiration::ExpirationMetrics metrics(registry);
    expiration::RedisJobQueue worker_queue(qo);
    expiration::ExpirationWorker worker(worker_queue, publisher, clock, metrics);
    worker.Start();
    auto deadline = window_open + std::chrono::seconds(window_s) + 60s;
    while (publisher.Count() < jobs && SysClock::now() < deadline) {
        Progress("fired", publisher.Count(), jobs);
        std::this_thread::sleep_for(200ms);  // progress display only
    }
    Progress("fired", publisher.Count(), jobs);
    worker.Stop();

    auto acked = publisher.Snapshot();
    std::vector<double> lateness;
    lateness.reserve(acked.size());
    SysClock::time_point last_ack = window_open;
    for (std::size_t i = 0; i < jobs; ++i) {
        auto it = acked.find("expiration-" + OrderId(i));
        if (it != acked.end()) {
            lateness.push_back(std::max(0.0, Ms(it->second - due[i])));
            last_ack = std::max(last_ack, it->second);
        }
    }
    std::sort(lateness.begin(), lateness.end());
    auto pct = [&](double p) {
        if (lateness.empty()) {
            return 0.0;
        }
        auto idx = static_cast<std::size_t>(p * static_cast<double>(lateness.size() - 1));
        return lateness[idx];
    };
    double fire_seconds = std::max(1e-3, Ms(last_ack - window_open) / 1000.0);
    double p99 = pct(0.99);
    bool all_fired = lateness.size() == jobs;

    std::printf("\nexpiration burst: %zu jobs due across %d s, one worker, Redis %s, nats %s\n",
                jobs,
                window_s,
                redis.Url().c_str(),
                nats.Url().c_str());
    std::printf(
        "%-34s %12.0f jobs/s (4 connections)\n", "scheduling (ZADD NX script)", schedule_rate);
    std::printf("%-34s %12zu / %zu   (target: all)\n", "fired", lateness.size(), jobs);
    std::printf("%-34s %12.0f jobs/s (first due to last fired)\n",
                "firing rate",
                static_cast<double>(lateness.size()) / fire_seconds);
    std::printf("%-34s %12.1f ms\n", "lateness p50", pct(0.50));
    std::printf("%-34s %12.1f ms   (target < 100)\n", "lateness p99", p99);
    std::printf("%-34s %12.1f ms\n", "lateness max", lateness.empty() ? 0.0 : lateness.back());
    if (lead_too_short) {
        std::printf("warning: scheduling ended after the first job was due; raise --lead-s\n");
    }
    bool ok = all_fired && p99 < 100.0;
    std::printf("verdict: %s\n", ok ? "targets met" : "targets NOT met");
    return ok ? 0 : 1;
}

// The expiration service wired as main wires it (listeners in queue group expiration-service,
// the worker, RedisJobQueue, NatsPublisher) against real nats-server and redis-server: events in
// on order:*, expiration:complete out on the TICKETING stream.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/stream_reader.hpp"

#include "domain/expiration_job.hpp"
#include "assembly.hpp"
#include "listeners/listeners.hpp"
#include "storage/redis_job_queue.hpp"
#include "worker/expiration_worker.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;
using events::ExpirationComplete;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

util::TimePoint Now() {
    return std::chrono::system_clock::now();
}

// Counts what goes through a publisher per job, and whether two runs of one job ever
// overlapped.
class RecordingPublisher final : public bus::EventPublisher {
public:
    explicit RecordingPublisher(bus::EventPublisher& inner) : inner_(inner) {}

    std::vector<bool> PublishBatch(std::span<const bus::Envelope> batch) override {
        {
            std::lock_guard lock(mu_);
            for (const auto& e : batch) {
                if (!in_flight_.insert(e.event_id).second) {
                    overlapped_ = true;
                }
                ++published_[e.event_id];
            }
        }
        auto acked = inner_.PublishBatch(batch);
        std::lock_guard lock(mu_);
        for (const auto& e : batch) {
            in_flight_.erase(e.event_id);
        }
        return acked;
    }

    std::map<std::string, int> Published() const {
        std::lock_guard lock(mu_);
        return published_;
    }
    bool Overlapped() const {
        std::lock_guard lock(mu_);
        return overlapped_;
    }

private:
    bus::EventPublisher& inner_;
    mutable std::mutex mu_;
    std::set<std::string> in_flight_;
    std::map<std::string, int> published_;
    bool overlapped_ = false;
};

class ExpirationServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", std::getenv("TEST_LOG") ? log::Level::kDebug : log::Level::kError);
        bus::ConnectionOptions o;
        o.url = nats_.Url();
        o.reconnect_wait = 50ms;
        connection_ = bus::NatsConnection::Connect(o);
        connection_->EnsureStreams();
        publisher_ = std::make_unique<bus::NatsPublisher>(*connection_, registry_);
        queue_ = std::make_unique<RedisJobQueue>(QueueOptions());
    }

    RedisJobQueueOptions QueueOptions() {
        RedisJobQueueOptions o;
        o.endpoint = *ParseRedisUrl(redis_.Url());
        return o;
    }

    WorkerOptions FastWorker() {
        WorkerOptions o;
        o.error_backoff_min = 20ms;
        o.error_backoff_max = 200ms;
        return o;
    }

    // The service as main builds it (expiration::Assemble on a ServiceBuilder), with the
    // test's worker options and ack wait.
    void StartService(WorkerOptions options,
                      std::chrono::milliseconds ack_wait = std::chrono::seconds(30)) {
        auto cfg = test::EmbeddedServiceConfig("expiration", nats_.Url());
        cfg.jwt_public_keys_dir.clear();  // expiration checks no session
        builder_ = std::make_unique<service::ServiceBuilder>(
            cfg, std::string(kQueueGroup), service::ServiceBuilder::Mode::kEmbedded);
        builder_->UseClock(clock_);
        service_metrics_ = &Assemble(*builder_, {*ParseRedisUrl(redis_.Url()), options}).metrics;
        builder_->AckWait(ack_wait);
        builder_->Start();
    }
    void StartService() { StartService(FastWorker()); }

    template <class E>
    void Publish(const E& event) {
        ASSERT_TRUE(publisher_->Publish(
            bus::MakeEnvelope(event, bus::NewEventId(), {kTraceparent, Now()})));
    }
    void PublishOrderCreated(const std::string& id, util::TimePoint expires_at) {
        Publish(events::OrderCreated{
            id, 0, events::OrderStatus::kCreated, "u1", expires_at, {"t-" + id, 2000}});
    }

    // The expiration:complete events stored in the stream for one order.
    std::vector<test::StoredMessage> Expirations(const std::string& order_id) {
        std::vector<test::StoredMessage> out;
        for (auto& m : test::ReadStream(nats_.Url(), "TICKETING")) {
            if (m.subject == "expiration:complete" &&
                events::Decode<ExpirationComplete>(m.payload).order_id == order_id) {
                out.push_back(std::move(m));
            }
        }
        return out;
    }

    bool ConsumerDrained(std::string_view subject) {
        return test::ConsumerBacklog(
                   nats_.Url(), "TICKETING", bus::ConsumerName(kQueueGroup, subject)) == 0;
    }

    bool QueueEmpty() {
        auto stats = queue_->Stats();
        return stats.pending == 0 && stats.active == 0;
    }

    // The service's metrics once StartService ran; before, those of workers a test makes.
    ExpirationMetrics& Metrics() { return builder_ ? *service_metrics_ : metrics_; }
    metrics::Registry& Registry() { return builder_ ? builder_->metrics() : registry_; }

    test::NatsServer nats_;
    test::RedisServer redis_;
    util::SystemClock clock_;
    metrics::Registry registry_;
    ExpirationMetrics metrics_{registry_};  // for workers a test makes itself
    std::unique_ptr<bus::NatsConnection> connection_;
    std::unique_ptr<bus::NatsPublisher> publisher_;
    std::unique_ptr<RedisJobQueue> queue_;  // the test's own view of the queue
    std::unique_ptr<service::ServiceBuilder> builder_;  // the service, once started
    ExpirationMetrics* service_metrics_ = nullptr;
};

TEST_F(ExpirationServiceTest, JobFiresOnceAtItsTime) {
    StartService();
    auto expires_at = Now() + 700ms;
    PublishOrderCreated("o1", expires_at);

    ASSERT_TRUE(test::WaitUntil([&] { return !Expirations("o1").empty(); }, 10s));
    ASSERT_TRUE(test::WaitUntil([&] { return QueueEmpty(); }, 5s));
    auto stored = Expirations("o1");
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].headers.at("Nats-Msg-Id"), "expiration-o1");
    EXPECT_EQ(stored[0].headers.at("traceparent"), kTraceparent);
    auto published_at = util::ParseIso8601(stored[0].headers.at("Ticketing-Occurred-At"));
    ASSERT_TRUE(published_at.has_value());
    EXPECT_GE(*published_at, util::FromEpochMs(util::ToEpochMs(expires_at)));
    EXPECT_LT(*published_at, expires_at + 2s);
    EXPECT_EQ(Metrics().fired.Value(), 1.0);
    EXPECT_EQ(Metrics().lateness.Count(), 1u);
}

TEST_F(ExpirationServiceTest, DuplicateOrderCreatedAddsNoSecondJob) {
    StartService();
    PublishOrderCreated("o1", Now() + 1h);
    PublishOrderCreated("o1", Now() + 2h);  // same order, a new event id: not deduplicated by NATS
    ASSERT_TRUE(test::WaitUntil([&] { return ConsumerDrained("order:created"); }, 10s));
    EXPECT_EQ(queue_->Stats().pending, 1);
    EXPECT_EQ(Metrics().scheduled.Value(), 1.0);
    auto job = queue_->Find("o1");
    ASSERT_TRUE(job.has_value());
    EXPECT_LT(job->due, Now() + 1h + 1s);
}

TEST_F(ExpirationServiceTest, OrderCancelledRemovesTheJob) {
    StartService();
    PublishOrderCreated("cancelled", Now() + 1s);
    ASSERT_TRUE(test::WaitUntil([&] { return queue_->Find("cancelled").has_value(); }, 10s));
    Publish(events::OrderCancelled{"cancelled", 1, {"t-cancelled"}});
    ASSERT_TRUE(test::WaitUntil([&] { return !queue_->Find("cancelled").has_value(); }, 10s));
    // A later job firing proves the worker had its chance at the cancelled one.
    PublishOrderCreated("sentinel", Now() + 1500ms);
    ASSERT_TRUE(test::WaitUntil([&] { return !Expirations("sentinel").empty(); }, 10s));
    EXPECT_TRUE(Expirations("cancelled").empty());
    EXPECT_EQ(Metrics().removed.Value(), 1.0);
}

TEST_F(ExpirationServiceTest, OrderCompletedRemovesTheJob) {
    StartService();
    PublishOrderCreated("paid", Now() + 1h);
    ASSERT_TRUE(test::WaitUntil([&] { return queue_->Find("paid").has_value(); }, 10s));
    Publish(events::OrderCompleted{"paid", 1, {"t-paid"}});
    ASSERT_TRUE(test::WaitUntil([&] { return !queue_->Find("paid").has_value(); }, 10s));
    EXPECT_TRUE(QueueEmpty());
}

TEST_F(ExpirationServiceTest, WorkerKilledBetweenPublishAndCompleteCausesOneEvent) {
    queue_->Schedule("o1", Now() - 1s, EncodePayload({"o1", Now(), kTraceparent}));
    {
        // A worker of another replica: claims with a short lease, publishes, then dies before
        // completing (its connection goes with it).
        RedisJobQueue dead_queue(QueueOptions());
        auto claim = dead_queue.Claim(10, 500ms);
        ASSERT_EQ(claim.jobs.size(), 1u);
        ASSERT_TRUE(publisher_->Publish(bus::MakeEnvelope(
            ExpirationComplete{"o1"}, ExpirationEventId("o1"), {kTraceparent, Now()})));
    }
    StartService();

    ASSERT_TRUE(test::WaitUntil([&] { return QueueEmpty(); }, 10s));
    EXPECT_EQ(Metrics().retries_lease_expired.Value(), 1.0);
    EXPECT_EQ(Metrics().fired.Value(), 1.0);  // the re-run's publish, dropped as a duplicate
    EXPECT_EQ(Expirations("o1").size(), 1u);
}

TEST_F(ExpirationServiceTest, TwoWorkersNeverRunTheSameJob) {
    constexpr int kJobs = 200;
    for (int i = 0; i < kJobs; ++i) {
        auto id = "o" + std::to_string(i);
        queue_->Schedule(id, Now() - 1s, EncodePayload({id, Now(), kTraceparent}));
    }
    RecordingPublisher publisher(*publisher_);
    RedisJobQueue queue_a(QueueOptions());
    RedisJobQueue queue_b(QueueOptions());
    auto options = FastWorker();
    options.batch_size = 5;
    ExpirationWorker a(queue_a, publisher, clock_, Metrics(), options);
    ExpirationWorker b(queue_b, publisher, clock_, Metrics(), options);
    a.Start();
    b.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return QueueEmpty(); }, 30s));
    a.Stop();
    b.Stop();

    auto published = publisher.Published();
    EXPECT_EQ(published.size(), static_cast<std::size_t>(kJobs));
    EXPECT_TRUE(std::all_of(
        published.begin(), published.end(), [](const auto& p) { return p.second == 1; }));
    EXPECT_FALSE(publisher.Overlapped());
    EXPECT_EQ(Metrics().fired.Value(), static_cast<double>(kJobs));
}

TEST_F(ExpirationServiceTest, PendingJobsSurviveARedisRestart) {
    StartService();
    PublishOrderCreated("soon", Now() + 2s);
    PublishOrderCreated("later", Now() + 1h);
    ASSERT_TRUE(test::WaitUntil(
        [&] { return queue_->Find("soon").has_value() && queue_->Find("later").has_value(); },
        10s));
    redis_.Restart();

    EXPECT_TRUE(queue_->Find("later").has_value());
    ASSERT_TRUE(test::WaitUntil([&] { return !Expirations("soon").empty(); }, 15s));
    EXPECT_TRUE(queue_->Find("later").has_value());
}

TEST_F(ExpirationServiceTest, JobsScheduledInThePastFireAtOnce) {
    StartService();
    PublishOrderCreated("overdue", Now() - 1h);
    ASSERT_TRUE(test::WaitUntil([&] { return !Expirations("overdue").empty(); }, 5s));
    // The worker observes the lateness before it completes the job: once the queue is empty,
    // the metric is final (the stream may have the event a moment earlier).
    ASSERT_TRUE(test::WaitUntil([&] { return QueueEmpty(); }, 5s));
    EXPECT_EQ(Metrics().lateness.Count(), 1u);
    EXPECT_GE(Metrics().lateness.Sum(), 3600.0);
}

// Redis down for longer than the ack wait (1.5 s here; an outage of minutes in production):
// the order:created delivery is held, never redelivered or dead-lettered, and the job is
// scheduled as soon as Redis is back, so the order still expires.
TEST_F(ExpirationServiceTest, OrderCreatedWaitsForRedisWithoutRedeliveryOrDeadLetter) {
    StartService(FastWorker(), 1500ms);
    redis_.Kill();
    PublishOrderCreated("o1", Now());
    const std::string consumer = bus::ConsumerName(kQueueGroup, "order:created");
    auto& holds = Registry().AddCounter("bus_delivery_holds_total", "").With({{"consumer", consumer}});
    // The first hold and four extensions of a third of the ack wait: held past the ack wait.
    ASSERT_TRUE(test::WaitUntil([&] { return holds.Value() >= 5.0; }, 20s));
    redis_.Start();
    // The event's effect is the marker: once the job has fired, the delivery is settled.
    ASSERT_TRUE(test::WaitUntil([&] { return !Expirations("o1").empty(); }, 20s));
    ASSERT_TRUE(test::WaitUntil([&] { return ConsumerDrained("order:created"); }, 10s));
    auto& redelivered =
        Registry().AddCounter("bus_redeliveries_total", "").With({{"consumer", consumer}});
    auto& dead =
        Registry().AddCounter("bus_events_dead_lettered_total", "").With({{"consumer", consumer}});
    EXPECT_EQ(redelivered.Value(), 0.0);
    EXPECT_EQ(dead.Value(), 0.0);
    EXPECT_TRUE(test::ReadStream(nats_.Url(), "TICKETING_DLQ").empty());
    EXPECT_GE(Metrics().poll_errors.Value(), 1.0);
}

}  // namespace
}  // namespace ticketing::expiration

// ServiceBuilder's lifetimes when a service fails to start while events are being handled
// (issue 18): a service whose HTTP port is taken, and one whose second Subscribe is refused by
// the server, each with thousands of events flowing into its first listener. The builder must
// stop every delivery and wait for the running handler before the part the handler touches is
// destroyed. The part counts what would be a use after free (a handler running during or after
// its destructor) so the check holds in every build; under the asan preset
// (ServiceLifetime.UnderAsan, built by scripts/test.sh) AddressSanitizer checks the same paths
// for any access to freed memory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/events/events.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"

namespace ticketing::service {
namespace {

using namespace std::chrono_literals;

constexpr int kEvents = 3000;

// What outlives every builder of the test: counts of handlers, and of handlers that ran while
// or after their part was destroyed (what AddressSanitizer would report as use after free).
struct Tally {
    std::atomic<int> entered{0};
    std::atomic<int> handled{0};
    std::atomic<int> after_destruction{0};
    std::atomic<int> parts_destroyed{0};
    // The first handler stays in flight until its part is being destroyed (which a correct
    // builder does only after the handler returned) or for kHold, so that the failure and the
    // teardown always happen while an event is being handled.
    std::mutex mu;
    std::condition_variable cv;
    bool part_dying = false;
};

constexpr auto kHold = 500ms;

// A listener's state, owned by the builder like every part of a service. Its handler touches
// its members on the subscriber's thread.
class CountingPart final {
public:
    explicit CountingPart(Tally& tally) : tally_(tally) {}
    ~CountingPart() {
        {
            std::lock_guard lock(tally_.mu);
            tally_.part_dying = true;
        }
        tally_.cv.notify_all();
        alive_.store(false);
        if (running_.load() != 0) {
            tally_.after_destruction.fetch_add(1);  // a handler is still inside
        }
        tally_.parts_destroyed.fetch_add(1);
    }

    bus::AckDecision Handle(const events::OrderCreated& e) {
        running_.fetch_add(1);
        if (!alive_.load()) {
            tally_.after_destruction.fetch_add(1);
        }
        if (tally_.entered.fetch_add(1) == 0) {
            std::unique_lock lock(tally_.mu);
            tally_.cv.wait_for(lock, kHold, [this] { return tally_.part_dying; });
        }
        // Some work on the part's memory, so that a handler is almost always running while
        // events flow: a part destroyed under it would be caught in the act.
        for (int pass = 0; pass < 64; ++pass) {
            for (std::size_t i = 0; i < scratch_.size(); ++i) {
                scratch_[i] = scratch_[i] * 31 + e.id.size() + i;
            }
        }
        if (!alive_.load()) {
            tally_.after_destruction.fetch_add(1);
        }
        tally_.handled.fetch_add(1);
        running_.fetch_sub(1);
        return bus::AckDecision::kAck;
    }

    void Subscribe(bus::EventSubscriber& s) {
        s.Subscribe<events::OrderCreated>(
            [this](const events::OrderCreated& e, const bus::MessageMeta&) { return Handle(e); });
    }

private:
    Tally& tally_;
    std::atomic<bool> alive_{true};
    std::atomic<int> running_{0};
    std::vector<std::uint64_t> scratch_ = std::vector<std::uint64_t>(4096);
};

// A port something else listens on.
class TakenPort final {
public:
    TakenPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 1) != 0) {
            throw std::runtime_error("cannot take a port");
        }
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~TakenPort() { ::close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

class ServiceLifetimeTest : public ::testing::Test {
protected:
    void SetUp() override {
        bus::ConnectionOptions o;
        o.url = nats_.Url();
        connection_ = bus::NatsConnection::Connect(o);
        connection_->EnsureStreams();
        bus::NatsPublisher publisher(*connection_, registry_);
        std::vector<bus::Envelope> batch;
        for (int i = 0; i < kEvents; ++i) {
            events::OrderCreated e{"order-" + std::to_string(i),
                                   0,
                                   events::OrderStatus::kCreated,
                                   "user",
                                   std::chrono::system_clock::now() + 15min,
                                   {"ticket-" + std::to_string(i), 2000}};
            batch.push_back(bus::MakeEnvelope(e, bus::NewEventId(), {"", e.expires_at}));
        }
        for (bool acked : publisher.PublishBatch(batch)) {
            ASSERT_TRUE(acked);
        }
    }

    config::CommonConfig Config(int port) {
        auto cfg = test::EmbeddedServiceConfig("lifetime", nats_.Url());
        cfg.jwt_public_keys_dir.clear();
        cfg.http_port = port;
        return cfg;
    }

    // Waits (with a deadline) until a handler is running: the first one, which stays.
    bool WaitForDeliveries() {
        return test::WaitUntil([&] { return tally_.entered.load() > 0; }, 10s);
    }

    test::NatsServer nats_;
    metrics::Registry registry_;
    std::unique_ptr<bus::NatsConnection> connection_;
    Tally tally_;
};

TEST_F(ServiceLifetimeTest, PortTakenWhileEventsAreHandledStopsDeliveriesBeforeThePartsDie) {
    TakenPort taken;
    bool flowing = false;
    EXPECT_THROW(
        {
            ServiceBuilder b(Config(taken.port()), "lifetime-a", ServiceBuilder::Mode::kEmbedded);
            b.ConnectBus();
            auto& part = b.Make<CountingPart>(tally_);
            b.Listen([&part](bus::EventSubscriber& s) { part.Subscribe(s); });
            // Runs after the subscriptions and before the HTTP server, which cannot bind.
            b.Worker([&] { flowing = WaitForDeliveries(); }, [] {});
            b.Start();
        },
        std::exception);
    EXPECT_TRUE(flowing) << "no event was handled before the server failed";
    EXPECT_LT(tally_.handled.load(), kEvents) << "every event was handled before the failure";
    EXPECT_EQ(tally_.parts_destroyed.load(), 1);
    EXPECT_EQ(tally_.after_destruction.load(), 0);
}

TEST_F(ServiceLifetimeTest, RefusedSubscribeWhileEventsAreHandledStopsDeliveriesBeforeThePartsDie) {
    bool flowing = false;
    EXPECT_THROW(
        {
            ServiceBuilder b(Config(0), "lifetime-b", ServiceBuilder::Mode::kEmbedded);
            b.ConnectBus();
            auto& part = b.Make<CountingPart>(tally_);
            b.Listen([&part](bus::EventSubscriber& s) { part.Subscribe(s); });
            b.Listen([&](bus::EventSubscriber& s) {
                flowing = WaitForDeliveries();
                // No stream holds this subject: the server refuses the consumer (bus::BusError).
                s.SubscribeRaw(events::Subject{"nowhere:subject"},
                               [](std::string_view, const bus::MessageMeta&) {
                                   return bus::HandlerResult{bus::AckDecision::kAck, ""};
                               });
            });
            b.Start();
        },
        bus::BusError);
    EXPECT_TRUE(flowing) << "no event was handled before the subscription failed";
    EXPECT_LT(tally_.handled.load(), kEvents) << "every event was handled before the failure";
    EXPECT_EQ(tally_.parts_destroyed.load(), 1);
    EXPECT_EQ(tally_.after_destruction.load(), 0);
}

}  // namespace
}  // namespace ticketing::service

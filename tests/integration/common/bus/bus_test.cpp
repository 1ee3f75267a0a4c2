// The bus against a real nats-server (JetStream, file store) started by the harness: stream
// provisioning, queue groups, manual acks and retries, dead letters, durables, restarts, the
// outbox relay and the inbox.
#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "common/bus/connection.hpp"
#include "common/bus/dead_letters.hpp"
#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/stream_log.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/dlq_command.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/stream_reader.hpp"

namespace ticketing::bus {
namespace {

using namespace std::chrono_literals;
using events::ExpirationComplete;
using events::TicketCreated;
using events::TicketUpdated;

EventContext Ctx() {
    return {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            std::chrono::system_clock::now()};
}

TicketCreated Ticket(int n) {
    return {"t" + std::to_string(n), 0, "Concert " + std::to_string(n), 1000 + n, "u1"};
}

// Thread-safe record of what handlers saw.
template <class T>
class Seen {
public:
    void Add(T v) {
        std::lock_guard lock(mu_);
        items_.push_back(std::move(v));
    }
    std::vector<T> Items() const {
        std::lock_guard lock(mu_);
        return items_;
    }
    std::size_t Size() const {
        std::lock_guard lock(mu_);
        return items_.size();
    }

private:
    mutable std::mutex mu_;
    std::vector<T> items_;
};

class BusTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", std::getenv("TEST_LOG") ? log::Level::kDebug : log::Level::kError);
        connection_ = Connect();
        connection_->EnsureStreams();
        publisher_ = std::make_unique<NatsPublisher>(*connection_, registry_);
    }

    std::unique_ptr<NatsConnection> Connect() {
        ConnectionOptions o;
        o.url = nats_.Url();
        o.reconnect_wait = 50ms;
        return NatsConnection::Connect(o);
    }

    std::unique_ptr<NatsSubscriber> Subscriber(const std::string& group,
                                               SubscriberOptions o = {}) {
        o.queue_group = group;
        return std::make_unique<NatsSubscriber>(*connection_, o, registry_);
    }

    // A counter's value for one consumer, read from the registry's exposition text.
    double CounterFor(const std::string& name, const std::string& consumer) const {
        std::string text = registry_.Render();
        std::string key = name + "{consumer=\"" + consumer + "\"} ";
        auto at = text.find(key);
        return at == std::string::npos ? 0.0 : std::stod(text.substr(at + key.size()));
    }

    template <class E>
    void Publish(const E& e, std::string id = NewEventId()) {
        ASSERT_TRUE(publisher_->Publish(MakeEnvelope(e, std::move(id), Ctx())));
    }

    std::vector<test::StoredMessage> Stream(const std::string& name = "TICKETING") {
        return test::ReadStream(nats_.Url(), name);
    }

    test::NatsServer nats_;
    metrics::Registry registry_;
    std::unique_ptr<NatsConnection> connection_;
    std::unique_ptr<NatsPublisher> publisher_;
};

TEST_F(BusTest, EnsureStreamsIsIdempotentAndKeepsMessages) {
    Publish(Ticket(1));
    connection_->EnsureStreams();
    connection_->EnsureStreams();
    auto stored = Stream();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].subject, "ticket:created");
}

TEST_F(BusTest, PublishSetsMetadataHeaders) {
    Publish(Ticket(1), "event-1");
    auto stored = Stream();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].headers.at("Nats-Msg-Id"), "event-1");
    EXPECT_EQ(stored[0].headers.at("traceparent"), Ctx().traceparent);
    EXPECT_TRUE(util::ParseIso8601(stored[0].headers.at("Ticketing-Occurred-At")).has_value());
    EXPECT_EQ(events::Decode<TicketCreated>(stored[0].payload), Ticket(1));
}

TEST_F(BusTest, DuplicateMsgIdIsStoredOnce) {
    Publish(Ticket(1), "same-id");
    Publish(Ticket(1), "same-id");
    EXPECT_EQ(Stream().size(), 1u);
}

TEST_F(BusTest, QueueGroupDeliversEachEventToExactlyOneMember) {
    Seen<std::string> a, b;
    auto sa = Subscriber("orders-service");
    sa->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        a.Add(e.id);
        return AckDecision::kAck;
    });
    auto sb = Subscriber("orders-service");
    sb->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        b.Add(e.id);
        return AckDecision::kAck;
    });
    for (int i = 0; i < 40; ++i) {
        Publish(Ticket(i));
    }
    ASSERT_TRUE(test::WaitUntil([&] { return a.Size() + b.Size() >= 40; }, 10s));
    std::multiset<std::string> all;
    for (auto& id : a.Items()) all.insert(id);
    for (auto& id : b.Items()) all.insert(id);
    EXPECT_EQ(all.size(), 40u);
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 40u);  // none twice
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "orders-service-ticket-created") == 0;
        },
        5s));
}

TEST_F(BusTest, RetryRedeliversWithGrowingDeliveryCount) {
    Seen<std::uint64_t> deliveries;
    auto s = Subscriber("tickets-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated&, const MessageMeta& m) {
        deliveries.Add(m.num_delivered);
        return m.num_delivered < 3 ? AckDecision::kRetry : AckDecision::kAck;
    });
    Publish(Ticket(1));
    ASSERT_TRUE(test::WaitUntil([&] { return deliveries.Size() >= 3; }, 10s));
    EXPECT_EQ(deliveries.Items(), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "tickets-service-ticket-created") == 0;
        },
        5s));
}

TEST_F(BusTest, ConsumerPendingGaugeCountsWhatIsNotAcknowledgedYet) {
    std::atomic<bool> open{false};
    auto s = Subscriber("tickets-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated&, const MessageMeta&) {
        return open.load() ? AckDecision::kAck : AckDecision::kRetry;
    });
    for (int i = 0; i < 3; ++i) {
        Publish(Ticket(i));
    }
    const std::string consumer = "tickets-service-ticket-created";
    EXPECT_TRUE(test::WaitUntil(
        [&] { return CounterFor("bus_consumer_pending", consumer) == 3.0; }, 10s));
    open.store(true);
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return registry_.Render().find("bus_consumer_pending{consumer=\"" + consumer +
                                           "\"} 0\n") != std::string::npos;
        },
        15s))
        << registry_.Render();
}

TEST_F(BusTest, ARedeliveryOfAnEventAcknowledgedAlreadyIsAckedWithoutTheHandler) {
    // The first delivery is handled slower than the ack wait: the server delivers it again
    // (queued behind the running one). The handler must run once; the copy is acknowledged.
    SubscriberOptions o;
    o.ack_wait = 1s;
    auto s = Subscriber("tickets-service", o);
    const std::string consumer = "tickets-service-ticket-created";
    std::atomic<int> calls{0};
    s->Subscribe<TicketCreated>([&](const TicketCreated&, const MessageMeta&) {
        if (calls.fetch_add(1) == 0) {
            // Hold the first delivery until the server has sent it again.
            EXPECT_TRUE(test::WaitUntil(
                [&] {
                    return test::ConsumerRedelivered(nats_.Url(), "TICKETING", consumer) >= 1;
                },
                15s));
        }
        return AckDecision::kAck;
    });
    Publish(Ticket(1));
    ASSERT_TRUE(test::WaitUntil(
        [&] { return CounterFor("bus_redeliveries_total", consumer) >= 1.0; }, 15s));
    // Drained: nothing pending or unacknowledged, so every delivery has been through Process.
    ASSERT_TRUE(test::WaitUntil(
        [&] { return test::ConsumerBacklog(nats_.Url(), "TICKETING", consumer) == 0; }, 15s));
    EXPECT_EQ(calls.load(), 1);
}

TEST_F(BusTest, OutOfOrderVersionsResolveWhenTheMissingOneArrives) {
    std::mutex mu;
    std::int64_t replica_version = -1;  // nothing yet
    std::vector<std::int64_t> applied;
    auto s = Subscriber("orders-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        std::lock_guard lock(mu);
        replica_version = e.version;
        applied.push_back(e.version);
        return AckDecision::kAck;
    });
    s->Subscribe<TicketUpdated>([&](const TicketUpdated& e, const MessageMeta&) {
        std::lock_guard lock(mu);
        if (e.version <= replica_version) {
            return AckDecision::kAck;  // duplicate
        }
        if (e.version != replica_version + 1) {
            return AckDecision::kRetry;  // a gap: wait for the missing version
        }
        replica_version = e.version;
        applied.push_back(e.version);
        return AckDecision::kAck;
    });
    Publish(TicketUpdated{"t1", 2, "c", 300, "u1", std::nullopt});
    Publish(TicketUpdated{"t1", 1, "c", 200, "u1", "o1"});
    Publish(TicketCreated{"t1", 0, "c", 100, "u1"});
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            std::lock_guard lock(mu);
            return replica_version == 2;
        },
        15s));
    std::lock_guard lock(mu);
    EXPECT_EQ(applied, (std::vector<std::int64_t>{0, 1, 2}));
}

TEST_F(BusTest, PoisonPayloadIsDeadLetteredAndConsumerKeepsFlowing) {
    Seen<std::string> handled;
    auto s = Subscriber("payments-service");
    s->Subscribe<ExpirationComplete>([&](const ExpirationComplete& e, const MessageMeta&) {
        handled.Add(e.order_id);
        return AckDecision::kAck;
    });
    ASSERT_TRUE(publisher_->Publish(Envelope{"expiration:complete",
                                             "{not json",
                                             NewEventId(),
                                             util::FormatIso8601(std::chrono::system_clock::now()),
                                             ""}));
    ASSERT_TRUE(publisher_->Publish(Envelope{"expiration:complete",
                                             R"({"orderId":7})",
                                             NewEventId(),
                                             util::FormatIso8601(std::chrono::system_clock::now()),
                                             ""}));
    Publish(ExpirationComplete{"o-good"});
    ASSERT_TRUE(test::WaitUntil([&] { return handled.Size() == 1; }, 10s));
    EXPECT_EQ(handled.Items().front(), "o-good");
    std::vector<test::StoredMessage> dlq;
    ASSERT_TRUE(test::WaitUntil([&] { return (dlq = Stream("TICKETING_DLQ")).size() == 2; }, 10s));
    EXPECT_EQ(dlq[0].subject, "deadletter.expiration:complete");
    EXPECT_EQ(dlq[0].payload, "{not json");
    EXPECT_EQ(dlq[0].headers.at("Ticketing-Dead-Letter-Reason"),
              "undecodable: payload is not JSON");
    EXPECT_EQ(dlq[0].headers.at("Ticketing-Original-Subject"), "expiration:complete");
    EXPECT_EQ(dlq[1].headers.at("Ticketing-Dead-Letter-Reason"),
              "undecodable: orderId must be a non-empty string");
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "payments-service-expiration-complete") == 0;
        },
        5s));
}

// A version gap ("not yet") is retried, and dead-lettered only once the event is older than the
// retry horizon (1 s here, 1 h by default), with a reason naming the version it waited for.
TEST_F(BusTest, NotYetIsDeadLetteredOnlyPastTheRetryHorizonNamingTheVersion) {
    Seen<std::uint64_t> deliveries;
    SubscriberOptions o;
    o.retry_horizon = 1s;
    auto s = Subscriber("orders-service", o);
    s->Subscribe<TicketUpdated>([&](const TicketUpdated&, const MessageMeta& m) {
        deliveries.Add(m.num_delivered);
        return AckDecision::kRetry;
    });
    Publish(TicketUpdated{"t1", 5, "Concert", 1000, "u1", std::nullopt});
    std::vector<test::StoredMessage> dlq;
    ASSERT_TRUE(test::WaitUntil([&] { return !(dlq = Stream("TICKETING_DLQ")).empty(); }, 20s));
    const std::string reason = dlq[0].headers.at("Ticketing-Dead-Letter-Reason");
    EXPECT_NE(reason.find("retry horizon 1 s"), std::string::npos) << reason;
    EXPECT_NE(reason.find("waiting for version 4 of ticket:updated t1"), std::string::npos)
        << reason;
    // Retried (50 ms doubling) until the horizon, not dead-lettered at a delivery count.
    EXPECT_GE(deliveries.Size(), 3u);
    EXPECT_EQ(deliveries.Items().front(), 1u);
}

// A handler that throws (a dependency down while the service reports ready, e.g. the gateway)
// is retried with a capped backoff and never dead-lettered, however many deliveries it takes:
// here 30, past the old budget of 20.
TEST_F(BusTest, AThrowingHandlerIsNeverDeadLetteredWhateverTheDeliveries) {
    std::atomic<int> attempts{0};
    Seen<std::uint64_t> handled;
    SubscriberOptions o;
    o.transient_backoff_cap = 20ms;
    o.in_place_retries = 0;  // one run per delivery: 30 failed deliveries
    auto s = Subscriber("payments-service", o);
    s->Subscribe<ExpirationComplete>([&](const ExpirationComplete&, const MessageMeta& m) {
        if (++attempts <= 30) {
            throw std::runtime_error("gateway unreachable");
        }
        handled.Add(m.num_delivered);
        return AckDecision::kAck;
    });
    Publish(ExpirationComplete{"o1"});
    // The event's own success is the marker: once it is handled, it can no longer be
    // dead-lettered (a dead letter terminates it).
    ASSERT_TRUE(test::WaitUntil([&] { return handled.Size() == 1; }, 30s));
    EXPECT_EQ(handled.Items().front(), 31u);
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "payments-service-expiration-complete") == 0;
        },
        5s));
    EXPECT_TRUE(Stream("TICKETING_DLQ").empty());
    EXPECT_EQ(CounterFor("bus_events_dead_lettered_total", "payments-service-expiration-complete"),
              0.0);
}

// A transient failure while the dependencies answer (one that came back a moment ago) is tried
// again in place before the delivery goes back to the server: two failures are absorbed by the
// first delivery; a third failure hands it back, and the next delivery succeeds.
TEST_F(BusTest, ATransientFailureIsTriedAgainInPlaceBeforeTheDeliveryIsHandedBack) {
    std::atomic<int> attempts{0};
    Seen<std::pair<std::string, std::uint64_t>> handled;
    SubscriberOptions o;
    o.in_place_retry_pause = 10ms;
    o.transient_backoff_cap = 20ms;
    auto s = Subscriber("payments-service", o);
    s->Subscribe<ExpirationComplete>([&](const ExpirationComplete& e, const MessageMeta& m) {
        // o1 fails twice (absorbed in place), o2 fails three times (handed back once).
        int n = ++attempts;
        if ((e.order_id == "o1" && n <= 2) || (e.order_id == "o2" && n >= 4 && n <= 6)) {
            throw std::runtime_error("connection reset while reconnecting");
        }
        handled.Add({e.order_id, m.num_delivered});
        return AckDecision::kAck;
    });
    Publish(ExpirationComplete{"o1"});
    ASSERT_TRUE(test::WaitUntil([&] { return handled.Size() == 1; }, 10s));
    Publish(ExpirationComplete{"o2"});
    ASSERT_TRUE(test::WaitUntil([&] { return handled.Size() == 2; }, 10s));
    auto items = handled.Items();
    EXPECT_EQ(items[0], (std::pair<std::string, std::uint64_t>{"o1", 1}));
    EXPECT_EQ(items[1], (std::pair<std::string, std::uint64_t>{"o2", 2}));
    EXPECT_EQ(attempts.load(), 7);  // o1: 3 runs; o2: 3 on its first delivery, 1 on its second
}

// A batch consumer takes what queued up while its handler was busy in batches (never larger
// than its limit), every event exactly once; a per-event "not yet" goes back alone, and a batch
// whose handler threw is tried again one event at a time.
TEST_F(BusTest, ABatchConsumerTakesTheBacklogInBatchesAndSettlesEachEvent) {
    constexpr int kEvents = 300;
    constexpr std::size_t kMaxBatch = 64;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    Seen<std::size_t> batch_sizes;
    Seen<std::pair<std::string, std::uint64_t>> acked;
    std::atomic<int> throws{0};
    auto s = Subscriber("expiration-service");
    s->SubscribeBatch<ExpirationComplete>(
        [&](std::span<const ExpirationComplete> events, std::span<const MessageMeta> metas) {
            if (batch_sizes.Size() == 0) {
                released.wait();  // the first call holds the consumer while the backlog forms
            }
            batch_sizes.Add(events.size());
            if (events.size() > 1 && throws.fetch_add(1) == 0) {
                throw std::runtime_error("the round trip failed");  // then one event at a time
            }
            std::vector<AckDecision> decisions;
            for (std::size_t i = 0; i < events.size(); ++i) {
                // "r" is not yet on its first delivery.
                bool later = events[i].order_id == "r" && metas[i].num_delivered == 1;
                decisions.push_back(later ? AckDecision::kRetry : AckDecision::kAck);
                if (!later) {
                    acked.Add({events[i].order_id, metas[i].num_delivered});
                }
            }
            return decisions;
        },
        kMaxBatch);
    Publish(ExpirationComplete{"first"});
    for (int i = 0; i < kEvents; ++i) {
        Publish(ExpirationComplete{i == 100 ? "r" : "o" + std::to_string(i)});
    }
    const std::string consumer = "expiration-service-expiration-complete";
    // Every event is in this process (delivered, not acknowledged) before the handler goes on.
    ASSERT_TRUE(test::WaitUntil(
        [&] { return test::ConsumerUndelivered(nats_.Url(), "TICKETING", consumer) == 0; }, 10s));
    release.set_value();
    ASSERT_TRUE(test::WaitUntil(
        [&] { return test::ConsumerBacklog(nats_.Url(), "TICKETING", consumer) == 0; }, 20s));

    auto sizes = batch_sizes.Items();
    EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1u);
    EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), kMaxBatch);
    EXPECT_GE(throws.load(), 1);
    std::map<std::string, int> times;
    for (const auto& [id, delivery] : acked.Items()) {
        ++times[id];
        if (id == "r") {
            EXPECT_EQ(delivery, 2u);  // handed back alone, taken on its second delivery
        }
    }
    EXPECT_EQ(times.size(), static_cast<std::size_t>(kEvents + 1));
    EXPECT_TRUE(std::all_of(times.begin(), times.end(), [](const auto& t) { return t.second == 1; }));
}

// A batch that failed because a dependency is down: its first delivery is held until the
// dependencies answer, and the others are then tried again at once, not each after the in-place
// pause (an hour here: waiting it would miss the deadline).
TEST_F(BusTest, ABatchThatFailedWhileDependenciesWereDownIsHandledAtOnceWhenTheyReturn) {
    constexpr int kQueued = 20;
    std::atomic<bool> up{false};
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> calls{0};
    Seen<std::string> acked;
    SubscriberOptions o;
    o.in_place_retry_pause = std::chrono::hours(1);
    o.ready_poll = 20ms;
    o.dependencies_ready = [&] { return up.load(); };
    auto s = Subscriber("expiration-service", o);
    s->SubscribeBatch<ExpirationComplete>(
        [&](std::span<const ExpirationComplete> events, std::span<const MessageMeta>) {
            if (calls.fetch_add(1) == 0) {
                released.wait();  // "first" holds the consumer while the others queue up
            } else if (!up.load()) {
                throw std::runtime_error("cannot connect to redis");
            }
            for (const auto& e : events) {
                acked.Add(e.order_id);
            }
            return std::vector<AckDecision>(events.size(), AckDecision::kAck);
        },
        64);
    Publish(ExpirationComplete{"first"});
    for (int i = 0; i < kQueued; ++i) {
        Publish(ExpirationComplete{"o" + std::to_string(i)});
    }
    const std::string consumer = "expiration-service-expiration-complete";
    ASSERT_TRUE(test::WaitUntil(
        [&] { return test::ConsumerUndelivered(nats_.Url(), "TICKETING", consumer) == 0; }, 10s));
    release.set_value();
    ASSERT_TRUE(
        test::WaitUntil([&] { return CounterFor("bus_delivery_holds_total", consumer) >= 1; }, 10s));
    up = true;
    ASSERT_TRUE(test::WaitUntil([&] { return acked.Size() == kQueued + 1; }, 10s))
        << acked.Size() << " of " << kQueued + 1 << " handled";
    ASSERT_TRUE(test::WaitUntil(
        [&] { return test::ConsumerBacklog(nats_.Url(), "TICKETING", consumer) == 0; }, 10s));
}

// While the service's dependencies report down, a failed delivery is held: its ack deadline is
// extended (so it is not redelivered), no other event of the consumer is attempted, and it is
// handled as soon as they are back.
TEST_F(BusTest, ADeliveryIsHeldWhileDependenciesAreDownAndHandledWhenTheyReturn) {
    std::atomic<bool> up{false};
    struct Attempt {
        std::string order_id;
        std::uint64_t delivery;
        bool ok;
    };
    Seen<Attempt> attempts;
    SubscriberOptions o;
    o.ack_wait = 1500ms;
    o.ready_poll = 20ms;
    o.dependencies_ready = [&] { return up.load(); };
    auto s = Subscriber("expiration-service", o);
    s->Subscribe<ExpirationComplete>([&](const ExpirationComplete& e, const MessageMeta& m) {
        bool ok = up.load();
        attempts.Add({e.order_id, m.num_delivered, ok});
        if (!ok) {
            throw std::runtime_error("cannot connect to redis");
        }
        return AckDecision::kAck;
    });
    Publish(ExpirationComplete{"o1"});
    Publish(ExpirationComplete{"o2"});
    Publish(ExpirationComplete{"o3"});
    // Held for longer than the ack wait: the first hold plus four extensions of a third of it.
    const std::string consumer = "expiration-service-expiration-complete";
    ASSERT_TRUE(
        test::WaitUntil([&] { return CounterFor("bus_delivery_holds_total", consumer) >= 5; }, 10s));
    up = true;
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto a = attempts.Items();
            return std::count_if(a.begin(), a.end(), [](const Attempt& x) { return x.ok; }) >= 3;
        },
        20s));
    auto a = attempts.Items();
    ASSERT_GE(a.size(), 4u);
    // One failed attempt during the outage, then the same delivery (never redelivered) succeeds,
    // and only then do the others run.
    EXPECT_EQ(a[0].order_id, "o1");
    EXPECT_FALSE(a[0].ok);
    EXPECT_EQ(a[1].order_id, "o1");
    EXPECT_TRUE(a[1].ok);
    EXPECT_EQ(a[1].delivery, 1u);
    for (std::size_t i = 1; i < a.size(); ++i) {
        EXPECT_TRUE(a[i].ok) << "attempt " << i << " ran while the dependencies were down";
    }
    EXPECT_TRUE(Stream("TICKETING_DLQ").empty());
}

TEST_F(BusTest, DurableSurvivesMembersShutdown) {
    Seen<std::string> first;
    {
        auto s = Subscriber("expiration-service");
        s->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
            first.Add(e.id);
            return AckDecision::kAck;
        });
        Publish(Ticket(1));
        ASSERT_TRUE(test::WaitUntil([&] { return first.Size() == 1; }, 10s));
    }  // the only member goes away: destroyed, not unsubscribed
    Publish(Ticket(2));
    Publish(Ticket(3));
    // t1's ack goes out with the ack connection's next flush (about a millisecond), so it may
    // still be pending when the server is first asked; t2 and t3 wait for a member.
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(nats_.Url(), "TICKETING",
                                         "expiration-service-ticket-created") == 2;
        },
        10s));
    Seen<std::string> later;
    auto s = Subscriber("expiration-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        later.Add(e.id);
        return AckDecision::kAck;
    });
    ASSERT_TRUE(test::WaitUntil([&] { return later.Size() == 2; }, 10s));
    EXPECT_EQ(later.Items(), (std::vector<std::string>{"t2", "t3"}));
}

TEST_F(BusTest, ConnectsThroughAListOfServersWhoseFirstIsDown) {
    ConnectionOptions o;
    o.url = "nats://127.0.0.1:" + std::to_string(test::FreePort()) + "," + nats_.Url();
    auto connection = NatsConnection::Connect(o);
    ASSERT_TRUE(connection->WaitConnected(10s));
    NatsPublisher publisher(*connection, registry_);
    EXPECT_TRUE(publisher.Publish(MakeEnvelope(Ticket(7), "through-a-list", Ctx())));
}

TEST_F(BusTest, EmptyMetadataIsLeftOutAndTheMessageIdSurvives) {
    Envelope e = MakeEnvelope(Ticket(8), "id-with-empty-metadata", Ctx());
    e.occurred_at.clear();
    e.traceparent.clear();
    ASSERT_TRUE(publisher_->Publish(e));
    auto stored = test::ReadStream(nats_.Url(), "TICKETING");
    ASSERT_FALSE(stored.empty());
    EXPECT_EQ(stored.back().headers["Nats-Msg-Id"], "id-with-empty-metadata");
    EXPECT_EQ(stored.back().headers.count("Ticketing-Occurred-At"), 0u);
    EXPECT_TRUE(publisher_->Publish(e));  // a duplicate by id: acknowledged, not stored again
    EXPECT_EQ(test::ReadStream(nats_.Url(), "TICKETING").size(), stored.size());
}

TEST_F(BusTest, ListenerResumesAfterServerRestart) {
    Seen<std::string> seen;
    auto s = Subscriber("orders-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        seen.Add(e.id);
        return AckDecision::kAck;
    });
    Publish(Ticket(1));
    ASSERT_TRUE(test::WaitUntil([&] { return seen.Size() == 1; }, 10s));
    nats_.Restart();
    ASSERT_TRUE(connection_->WaitConnected(20s));
    ASSERT_TRUE(test::WaitUntil(
        [&] { return publisher_->Publish(MakeEnvelope(Ticket(2), "after-restart", Ctx())); }, 20s));
    // Delivery is at least once: t1's ack may not have reached the server's store before it
    // stopped, so t1 may come again. What must hold is that the listener receives t2.
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto items = seen.Items();
            return std::find(items.begin(), items.end(), "t2") != items.end();
        },
        20s));
    for (const auto& id : seen.Items()) {
        EXPECT_TRUE(id == "t1" || id == "t2") << id;
    }
}

TEST_F(BusTest, AcksGoOnTheirOwnConnectionAndStillLandAfterAServerRestart) {
    // Positive acks leave on a second connection, whose flusher writes many in one go (issue
    // 20). They must reach the server (nothing stays pending) before and after a restart.
    Seen<std::string> seen;
    // A kill loses the server's latest consumer state, acks included: the events whose acks it
    // lost come again after the ack wait, and are acknowledged again then.
    SubscriberOptions o;
    o.ack_wait = 2s;
    auto s = Subscriber("orders-service", o);
    s->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        seen.Add(e.id);
        return AckDecision::kAck;
    });
    const std::string consumer = "orders-service-ticket-created";
    auto nothing_pending = [&] {
        return registry_.Render().find("bus_consumer_pending{consumer=\"" + consumer +
                                       "\"} 0\n") != std::string::npos;
    };
    for (int i = 0; i < 20; ++i) {
        Publish(Ticket(i));
    }
    ASSERT_TRUE(test::WaitUntil([&] { return seen.Size() >= 20; }, 10s));
    EXPECT_TRUE(test::WaitUntil(nothing_pending, 15s)) << registry_.Render();
    ASSERT_TRUE(connection_->AcknowledgementsSent().has_value());
    EXPECT_GE(*connection_->AcknowledgementsSent(), 20u);

    nats_.Restart();
    ASSERT_TRUE(connection_->WaitConnected(20s));
    for (int i = 100; i < 120; ++i) {
        ASSERT_TRUE(test::WaitUntil(
            [&] {
                return publisher_->Publish(MakeEnvelope(Ticket(i), NewEventId(), Ctx()));
            },
            20s));
    }
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto items = seen.Items();
            return std::find(items.begin(), items.end(), "t119") != items.end();
        },
        20s));
    // Acks that went nowhere (an acknowledgement connection that did not come back) would
    // keep events pending however often they came again.
    EXPECT_TRUE(test::WaitUntil(nothing_pending, 15s)) << registry_.Render();
    EXPECT_GE(*connection_->AcknowledgementsSent(), 40u);
}

class BusWithDatabaseTest : public BusTest {
protected:
    void SetUp() override {
        BusTest::SetUp();
        db_ = db::Database::Open("sqlite://" + (dir_.Path() / "svc.db").string());
        db::RunMigrations(*db_, WithBusMigrations(false, {}));
        db_->Transaction([](soci::session& s) {
            s << "CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)";
            s << "INSERT INTO counter (id, n) VALUES (1, 0)";
        });
    }

    void AddToOutbox(int from, int to) {
        for (int i = from; i < to; ++i) {
            db_->Transaction([&](soci::session& tx) { Outbox::Add(tx, Ticket(i), Ctx()); });
        }
    }

    long long Counter() {
        return db_->WithSession([](soci::session& s) {
            long long n = 0;
            s << "SELECT n FROM counter WHERE id = 1", soci::into(n);
            return n;
        });
    }

    test::TempDir dir_;
    std::unique_ptr<db::Database> db_;
};

TEST_F(BusWithDatabaseTest, RelayPublishesOutboxInOrderAndEmptiesIt) {
    OutboxRelay relay(*db_, *publisher_, registry_);
    relay.Start();
    AddToOutbox(0, 30);
    relay.Wake();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    auto stored = Stream();
    ASSERT_EQ(stored.size(), 30u);
    for (int i = 0; i < 30; ++i) {
        EXPECT_EQ(events::Decode<TicketCreated>(stored[static_cast<std::size_t>(i)].payload).id,
                  "t" + std::to_string(i));
    }
}

TEST_F(BusWithDatabaseTest, OutboxOldestAgeIsHowLongTheFirstUnpublishedRowWaited) {
    const auto now = std::chrono::system_clock::now();
    EXPECT_EQ(Outbox::OldestAge(*db_, now), 0ms);  // empty
    AddToOutbox(0, 3);                              // no relay yet: they wait
    EXPECT_GE(Outbox::OldestAge(*db_, std::chrono::system_clock::now() + 90s), 90s);
    EXPECT_LT(Outbox::OldestAge(*db_, std::chrono::system_clock::now() + 90s), 120s);
    OutboxRelay relay(*db_, *publisher_, registry_);
    EXPECT_NE(registry_.Render().find("outbox_oldest_age_seconds "), std::string::npos);
    relay.Start();
    relay.Wake();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    EXPECT_EQ(Outbox::OldestAge(*db_, std::chrono::system_clock::now() + 90s), 0ms);
    EXPECT_NE(registry_.Render().find("outbox_oldest_age_seconds 0\n"), std::string::npos);
}

TEST_F(BusWithDatabaseTest, OutboxWrittenWhileServerIsDownIsPublishedOnceInOrderAfterRestart) {
    OutboxRelay relay(*db_, *publisher_, registry_);
    relay.Start();
    AddToOutbox(0, 5);
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    nats_.Kill();
    AddToOutbox(5, 50);  // committed while the bus is down
    relay.Wake();
    EXPECT_GT(Outbox::Backlog(*db_), 0);
    nats_.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 60s));
    auto stored = Stream();
    std::vector<std::string> ids;
    for (auto& m : stored) {
        ids.push_back(events::Decode<TicketCreated>(m.payload).id);
    }
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        expected.push_back("t" + std::to_string(i));
    }
    EXPECT_EQ(ids, expected);  // all, once, in order
}

TEST_F(BusWithDatabaseTest, InboxRunsARedeliveredEventOnce) {
    Seen<std::uint64_t> deliveries;
    auto s = Subscriber("tickets-service");
    s->Subscribe<TicketCreated>([&](const TicketCreated&, const MessageMeta& m) {
        deliveries.Add(m.num_delivered);
        AckDecision d = HandleOnce(*db_, m, [](soci::session& tx) {
            tx << "UPDATE counter SET n = n + 1 WHERE id = 1";
            return AckDecision::kAck;
        });
        // The first time, act as if the process died after committing and before acking.
        return m.num_delivered == 1 ? AckDecision::kRetry : d;
    });
    Publish(Ticket(1));
    ASSERT_TRUE(test::WaitUntil([&] { return deliveries.Size() == 2; }, 10s));
    EXPECT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "tickets-service-ticket-created") == 0;
        },
        5s));
    EXPECT_EQ(Counter(), 1);
}

TEST_F(BusWithDatabaseTest, InboxRollsBackWhenHandlerDeclines) {
    MessageMeta meta;
    meta.consumer = "c";
    meta.event_id = "e1";
    auto d = HandleOnce(*db_, meta, [](soci::session& tx) {
        tx << "UPDATE counter SET n = n + 1 WHERE id = 1";
        return AckDecision::kRetry;
    });
    EXPECT_EQ(d, AckDecision::kRetry);
    EXPECT_EQ(Counter(), 0);
    d = HandleOnce(*db_, meta, [](soci::session& tx) {
        tx << "UPDATE counter SET n = n + 1 WHERE id = 1";
        return AckDecision::kAck;
    });
    EXPECT_EQ(d, AckDecision::kAck);
    EXPECT_EQ(Counter(), 1);
}

// Dead letters as an operator handles them (bus/dead_letters.hpp, `scripts/run.sh dlq`).
TEST_F(BusWithDatabaseTest, ARedriveReachesOnlyItsConsumerIsHandledOnceAndReplaySkipsIt) {
    std::atomic<bool> broken{true};
    Seen<std::string> tickets_handled;
    Seen<std::string> orders_seen;
    auto tickets = Subscriber("tickets-service");
    tickets->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta& m) {
        if (broken.load()) {
            return AckDecision::kDeadLetter;
        }
        return HandleOnce(*db_, m, [&](soci::session& tx) {
            tx << "UPDATE counter SET n = n + 1 WHERE id = 1";
            tickets_handled.Add(e.id);
            return AckDecision::kAck;
        });
    });
    auto orders = Subscriber("orders-service");
    orders->Subscribe<TicketCreated>([&](const TicketCreated& e, const MessageMeta&) {
        orders_seen.Add(e.id);
        return AckDecision::kAck;
    });
    Publish(Ticket(1), "event-t1");
    std::vector<DeadLetter> letters;
    ASSERT_TRUE(test::WaitUntil([&] { return !(letters = ListDeadLetters(*connection_)).empty(); },
                                10s));
    ASSERT_EQ(letters.size(), 1u);
    const DeadLetter letter = letters.front();
    EXPECT_EQ(letter.subject, "ticket:created");
    EXPECT_EQ(letter.consumer, "tickets-service-ticket-created");
    EXPECT_EQ(letter.reason, "rejected by handler");
    EXPECT_EQ(letter.event_id, "event-t1");
    EXPECT_EQ(letter.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_FALSE(letter.time.empty());
    EXPECT_EQ(letter.payload, events::Encode(Ticket(1)));
    ASSERT_TRUE(FindDeadLetter(*connection_, letter.id).has_value());

    // The cause is fixed: redriven, it is handled by its consumer, and the dead letter is gone.
    broken = false;
    Redrive(*connection_, letter);
    ASSERT_TRUE(test::WaitUntil([&] { return Counter() == 1; }, 10s));
    EXPECT_TRUE(ListDeadLetters(*connection_).empty());
    EXPECT_FALSE(FindDeadLetter(*connection_, letter.id).has_value());

    // Redriven again (as from a second dead letter of the same event): the inbox knows it. The
    // dead letter is gone, so removing it fails after the publish.
    DeadLetter again = letter;
    again.id = letter.id + 1000;
    EXPECT_THROW(Redrive(*connection_, again), BusError);
    // A later event is the marker: once both consumers have it, the redrives were delivered.
    Publish(Ticket(2));
    ASSERT_TRUE(test::WaitUntil([&] { return Counter() == 2 && orders_seen.Size() >= 2; }, 10s));
    EXPECT_EQ(tickets_handled.Items(), (std::vector<std::string>{"t1", "t2"}));
    // The other consumer of the subject never saw the redriven copies.
    EXPECT_EQ(orders_seen.Items(), (std::vector<std::string>{"t1", "t2"}));

    // Purge.
    broken = true;
    Publish(Ticket(3));
    ASSERT_TRUE(test::WaitUntil([&] { return ListDeadLetters(*connection_).size() == 1; }, 10s));
    Purge(*connection_, ListDeadLetters(*connection_).front().id);
    EXPECT_TRUE(ListDeadLetters(*connection_).empty());

    // Replay reads the history without the redriven copies.
    std::vector<std::string> replayed;
    ReadAll(*connection_, 1, 100, [&](std::span<const StoredEvent> batch) {
        for (const auto& e : batch) {
            replayed.push_back(events::Decode<TicketCreated>(e.payload).id);
        }
    });
    EXPECT_EQ(replayed, (std::vector<std::string>{"t1", "t2", "t3"}));
}

TEST_F(BusWithDatabaseTest, TheDlqCommandListsShowsAndPurgesOnlyWhenConfirmed) {
    auto s = Subscriber("payments-service");
    s->Subscribe<ExpirationComplete>(
        [](const ExpirationComplete&, const MessageMeta&) { return AckDecision::kDeadLetter; });
    Publish(ExpirationComplete{"o1"});
    Publish(ExpirationComplete{"o2"});
    ASSERT_TRUE(test::WaitUntil([&] { return ListDeadLetters(*connection_).size() == 2; }, 10s));
    config::CommonConfig cfg;
    cfg.service = "test";
    cfg.nats_url = nats_.Url();
    auto run = [&](std::vector<std::string> args, std::string input = "") {
        std::istringstream in(input);
        std::ostringstream out, err;
        int code = service::RunDeadLetterCommand(cfg, args, in, out, err);
        return std::make_tuple(code, out.str(), err.str());
    };
    auto [code, out, err] = run({"list"});
    EXPECT_EQ(code, 0) << err;
    EXPECT_NE(out.find("payments-service-expiration-complete"), std::string::npos) << out;
    EXPECT_NE(out.find("rejected by handler"), std::string::npos) << out;
    EXPECT_NE(out.find("2 dead letter(s)"), std::string::npos) << out;

    auto first = ListDeadLetters(*connection_).front().id;
    std::tie(code, out, err) = run({"show", std::to_string(first)});
    EXPECT_EQ(code, 0) << err;
    EXPECT_NE(out.find("Ticketing-Dead-Letter-Reason: rejected by handler"), std::string::npos);
    EXPECT_NE(out.find(R"({"orderId":"o1"})"), std::string::npos) << out;

    // Unknown ids, unknown verbs and half-given selections are refused.
    std::tie(code, out, err) = run({"show", "999999"});
    EXPECT_EQ(code, 1);
    EXPECT_EQ(std::get<0>(run({"redrive"})), 2);
    EXPECT_EQ(std::get<0>(run({"purge", "1", "--all"})), 2);
    EXPECT_EQ(std::get<0>(run({"explode"})), 2);

    // Purge asks first: anything but yes keeps them.
    std::tie(code, out, err) = run({"purge", "--all"}, "n\n");
    EXPECT_EQ(code, 1);
    EXPECT_EQ(ListDeadLetters(*connection_).size(), 2u);
    std::tie(code, out, err) = run({"purge", "--all", "--consumer", "payments-service-expiration-complete", "--yes"});
    EXPECT_EQ(code, 0) << err;
    EXPECT_NE(out.find("2 dead letter(s) purged"), std::string::npos) << out;
    EXPECT_TRUE(ListDeadLetters(*connection_).empty());
}

// Inbox rows stamped over three days, one every ten minutes, as a steady stream leaves them:
// the relay prunes what is older than the retention (one day here) in batches and keeps the rest,
// so the table holds the retention's worth of rows, whatever has gone through it. Returns the
// ids kept.
std::int64_t StampedMs(std::chrono::system_clock::duration ago) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               (std::chrono::system_clock::now() - ago).time_since_epoch())
        .count();
}

void FillInbox(db::Database& db, int rows) {
    db.Transaction([&](soci::session& s) {
        for (int i = 0; i < rows; ++i) {
            std::string id = "e" + std::to_string(i);
            long long at = StampedMs(std::chrono::minutes(10) * i);
            s << "INSERT INTO inbox (consumer, event_id, handled_at) VALUES ('c', :id, :at)",
                soci::use(id), soci::use(at);
        }
    });
}

long long InboxRows(db::Database& db) {
    return db.WithSession([](soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM inbox", soci::into(n);
        return n;
    });
}

TEST_F(BusWithDatabaseTest, RelayKeepsTheInboxToItsRetentionAndDuplicatesInsideItAreStillDropped) {
    constexpr int kRows = 3 * 24 * 6;  // three days, one row every ten minutes
    FillInbox(*db_, kRows);
    // A table of the service's own, pruned by the same rule (as tickets' cancelled_orders).
    db_->Transaction([](soci::session& s) {
        s << "CREATE TABLE stamped (k TEXT PRIMARY KEY, at BIGINT NOT NULL)";
        long long old = StampedMs(std::chrono::hours(48));
        long long recent = StampedMs(std::chrono::hours(1));
        s << "INSERT INTO stamped (k, at) VALUES ('old', :a), ('recent', :b), ('unknown', 0)",
            soci::use(old), soci::use(recent);
    });
    RelayOptions o;
    o.inbox_retention = std::chrono::hours(24);
    o.prune_every = 10ms;
    o.prune_batch = 50;  // small batches: several rounds
    o.prune_batches = 2;
    o.also_prune = {{"stamped", "k", "at"}};
    OutboxRelay relay(*db_, *publisher_, registry_, o);
    relay.Start();
    // Rows 0..143 are within the day (row 144 is exactly a day old).
    ASSERT_TRUE(test::WaitUntil([&] { return InboxRows(*db_) == 144; }, 20s))
        << InboxRows(*db_) << " rows";
    auto& pruned = registry_.AddCounter("retention_pruned_rows_total", "").With();
    ASSERT_TRUE(test::WaitUntil([&] { return pruned.Value() >= kRows - 144 + 1; }, 20s));
    EXPECT_EQ(pruned.Value(), kRows - 144 + 1);  // the inbox's old rows and stamped's 'old'
    auto kept = db_->WithSession([](soci::session& s) {
        std::vector<std::string> keys(10);
        s << "SELECT k FROM stamped ORDER BY k", soci::into(keys);
        return keys;
    });
    EXPECT_EQ(kept, (std::vector<std::string>{"recent", "unknown"}));

    // Inside the retention a redelivered event is still recognised; past it, it was forgotten.
    MessageMeta meta;
    meta.consumer = "c";
    meta.event_id = "e6";  // handled an hour ago
    int runs = 0;
    auto run = [&](soci::session&) {
        ++runs;
        return AckDecision::kAck;
    };
    EXPECT_EQ(HandleOnce(*db_, meta, run), AckDecision::kAck);
    EXPECT_EQ(runs, 0);
    meta.event_id = "e400";  // handled about 67 hours ago: pruned
    EXPECT_EQ(HandleOnce(*db_, meta, run), AckDecision::kAck);
    EXPECT_EQ(runs, 1);
}

class BusWithPostgresTest : public BusTest {
protected:
    void SetUp() override {
        BusTest::SetUp();
        auto& pg = test::PostgresServer::Shared();
        url_ = pg.Url(pg.CreateUniqueDatabase("bus"));
        db_ = db::Database::Open(url_);
        db::RunMigrations(*db_, WithBusMigrations(true, {}));
    }

    // Two replicas' relays on the same database, each with its own pool, whose idle look is an
    // hour away: the first leads and listens before the second starts.
    void StartLeaderAndFollower() {
        other_db_ = db::Database::Open(url_);
        RelayOptions o;
        o.idle_poll = std::chrono::hours(1);
        leader_ = std::make_unique<OutboxRelay>(*db_, *publisher_, registry_, o);
        follower_ = std::make_unique<OutboxRelay>(*other_db_, *publisher_, registry_, o);
        leader_->Start();
        ASSERT_TRUE(test::WaitUntil(
            [&] { return leader_->IsLeader() && leader_->ListeningForReplicas(); }, 10s));
        follower_->Start();
    }

    // Commits row `i` on the follower's pool, wakes the follower as a service does, and waits
    // for the leader to have published i + 1 rows (false: it did not within 10 s, so the row
    // waited for the leader's idle look).
    bool WriteOnTheFollowerAndWaitForTheLeader(int i) {
        other_db_->Transaction([&](soci::session& tx) { Outbox::Add(tx, Ticket(i), Ctx()); });
        follower_->Wake();
        return test::WaitUntil([&] { return leader_->published() == std::uint64_t(i + 1); }, 10s);
    }

    // Terminates the backends that `from_where` (a code constant: FROM ... WHERE ..., with a pid
    // column) selects; returns how many.
    long long TerminateBackends(const std::string& from_where) {
        auto admin = db::Database::Open(url_);
        return admin->WithSession([&](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(pg_terminate_backend(pid)) " + from_where, soci::into(n);
            return n;
        });
    }

    std::string url_;
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<db::Database> other_db_;
    std::unique_ptr<OutboxRelay> leader_;
    std::unique_ptr<OutboxRelay> follower_;
};

TEST_F(BusWithPostgresTest, OneRelayLeadsAndTheOtherTakesOverWhenItStops) {
    // Two replicas, each with its own pool on the same database.
    auto other_db = db::Database::Open(url_);
    RelayOptions o;
    o.idle_poll = 20ms;
    auto first = std::make_unique<OutboxRelay>(*db_, *publisher_, registry_, o);
    OutboxRelay second(*other_db, *publisher_, registry_, o);
    first->Start();
    ASSERT_TRUE(test::WaitUntil([&] { return first->IsLeader(); }, 10s));
    second.Start();
    for (int i = 0; i < 20; ++i) {
        db_->Transaction([&](soci::session& tx) { Outbox::Add(tx, Ticket(i), Ctx()); });
    }
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    EXPECT_FALSE(second.IsLeader());
    EXPECT_EQ(second.published(), 0u);

    first.reset();  // the leader goes away; its lock goes with its session
    for (int i = 20; i < 40; ++i) {
        db_->Transaction([&](soci::session& tx) { Outbox::Add(tx, Ticket(i), Ctx()); });
    }
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 15s));
    EXPECT_TRUE(second.IsLeader());
    std::vector<std::string> ids;
    for (auto& m : Stream()) {
        ids.push_back(events::Decode<TicketCreated>(m.payload).id);
    }
    ASSERT_EQ(ids.size(), 40u);  // each once, in order
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(ids[static_cast<std::size_t>(i)], "t" + std::to_string(i));
    }
}

// The sweeper deletes published rows with one statement per sweep on PostgreSQL (the ids as an
// array): 300 rows written at once all go, in fewer sweeps than rows, each published once.
TEST_F(BusWithPostgresTest, TheSweeperDeletesEveryPublishedRowAFewSweepsForMany) {
    db_->Transaction([&](soci::session& tx) {
        for (int i = 0; i < 300; ++i) {
            Outbox::Add(tx, Ticket(i), Ctx());
        }
    });
    auto& sweeps = registry_.AddCounter("outbox_sweeps_total", "").With();
    const double sweeps_before = sweeps.Value();
    OutboxRelay relay(*db_, *publisher_, registry_, RelayOptions{});
    relay.Start();
    ASSERT_TRUE(test::WaitUntil([&] { return Outbox::Backlog(*db_) == 0; }, 10s));
    EXPECT_EQ(relay.published(), 300u);
    EXPECT_LT(sweeps.Value() - sweeps_before, 300.0);  // many rows per sweep
    EXPECT_EQ(Stream().size(), 300u);                   // each published once
}

// A row committed by the replica that does not hold the outbox is published at once: that
// replica's relay passes its Wake on to the leader (NOTIFY), not left to the leader's idle look,
// which is an hour here.
TEST_F(BusWithPostgresTest, ACommitOnAReplicaThatDoesNotLeadWakesTheLeader) {
    StartLeaderAndFollower();
    OutboxRelay& follower = *follower_;
    auto& leads = registry_.AddCounter("outbox_relay_leads_total", "").With();
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(WriteOnTheFollowerAndWaitForTheLeader(i)) << "row " << i;
    }
    EXPECT_FALSE(follower.IsLeader());
    EXPECT_EQ(follower.published(), 0u);
    EXPECT_EQ(leads.Value(), 1.0);  // the leader never changed
    ASSERT_EQ(Stream().size(), 3u);
}

// The leader's listener connection is opened again after it is lost (a terminated backend, a
// PostgreSQL restart), and a replica's wakes reach the leader again.
TEST_F(BusWithPostgresTest, TheLeaderListensAgainAfterItsListenerConnectionIsLost) {
    StartLeaderAndFollower();
    OutboxRelay& follower = *follower_;
    auto admin = db::Database::Open(url_);
    // The backends listening on this database (each relay's listener: a follower's only ever
    // wakes a leader).
    auto listener_pids = [&] {
        return admin->WithSession([](soci::session& s) {
            std::vector<long long> pids(16);
            s << "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' "
                 "AND datname = current_database() ORDER BY pid",
                soci::into(pids);
            return pids;
        });
    };
    ASSERT_TRUE(test::WaitUntil([&] { return listener_pids().size() == 2; }, 10s));
    const std::vector<long long> before = listener_pids();
    ASSERT_EQ(TerminateBackends("FROM pg_stat_activity WHERE query LIKE 'LISTEN %' "
                                "AND datname = current_database()"),
              2);
    // Two new listeners, none of the old ones.
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            auto now = listener_pids();
            return now.size() == 2 && now[0] != before[0] && now[0] != before[1] &&
                   now[1] != before[0] && now[1] != before[1];
        },
        15s));
    // The listener wakes the leader once when it listens again, which could publish one row
    // written about then; of two rows written one after the other, the second needs the NOTIFY.
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(WriteOnTheFollowerAndWaitForTheLeader(i)) << "row " << i;
    }
    EXPECT_EQ(follower.published(), 0u);
    EXPECT_EQ(OutboxRelay::OutboxChannel(RelayOptions{}.advisory_lock_key).rfind("ticketing_outbox_", 0), 0u);
}

// A relay whose lock session dies (a terminated backend, a PostgreSQL restart) finds out before
// its next batch and elects itself again, rather than publishing on without the lock.
TEST_F(BusWithPostgresTest, ARelayThatLostItsLockSessionGivesUpTheLeadBeforeItsNextBatch) {
    RelayOptions o;
    o.min_backoff = 10ms;
    OutboxRelay relay(*db_, *publisher_, registry_, o);
    relay.Start();
    auto& leads = registry_.AddCounter("outbox_relay_leads_total", "").With();
    ASSERT_TRUE(test::WaitUntil([&] { return leads.Value() == 1.0; }, 10s));
    // Terminate the session that holds the advisory lock.
    ASSERT_EQ(TerminateBackends("FROM pg_locks WHERE locktype = 'advisory' AND granted"), 1);
    EXPECT_TRUE(test::WaitUntil([&] { return leads.Value() == 2.0; }, 10s)) << leads.Value();
    EXPECT_TRUE(relay.IsLeader());
}

TEST_F(BusWithPostgresTest, InboxRunsTheSameEventOnce) {
    db_->Transaction([](soci::session& s) {
        s << "CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)";
        s << "INSERT INTO counter (id, n) VALUES (1, 0)";
    });
    MessageMeta meta;
    meta.consumer = "tickets-service-order-created";
    meta.event_id = "e-1";
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(HandleOnce(*db_,
                             meta,
                             [](soci::session& tx) {
                                 tx << "UPDATE counter SET n = n + 1 WHERE id = 1";
                                 return AckDecision::kAck;
                             }),
                  AckDecision::kAck);
    }
    long long n = db_->WithSession([](soci::session& s) {
        long long v = 0;
        s << "SELECT n FROM counter WHERE id = 1", soci::into(v);
        return v;
    });
    EXPECT_EQ(n, 1);
}

TEST_F(BusWithPostgresTest, PruneBatchDeletesOnlyRowsPastTheCutoffABatchAtATime) {
    FillInbox(*db_, 30);  // 0, 10, ..., 290 minutes old
    auto cutoff = std::chrono::system_clock::now() - std::chrono::minutes(95);
    EXPECT_EQ(PruneBatch(*db_, InboxRetention(), cutoff, 5), 5);
    EXPECT_EQ(PruneBatch(*db_, InboxRetention(), cutoff, 100), 15);  // rows 10..29 are older
    EXPECT_EQ(PruneBatch(*db_, InboxRetention(), cutoff, 100), 0);
    EXPECT_EQ(InboxRows(*db_), 10);
}

}  // namespace
}  // namespace ticketing::bus

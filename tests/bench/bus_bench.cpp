// ticketing-bus-bench: throughput of the event path (issue 3), printed side by side with raw
// nats.c in the same run against the same nats-server (started here, JetStream file store):
//   1. raw js_PublishMsgAsync of N events            vs  the outbox relay draining N rows (SQLite)
//   2. raw consume (ack each message)                vs  NatsSubscriber + inbox-handled no-op,
//                                                        one transaction per event and one per batch
// Usage: ticketing-bus-bench [--events N] [--keep]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nats/nats.h>

#include "common/bus/connection.hpp"
#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"

namespace {

using namespace ticketing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

events::TicketCreated Sample(int i) {
    return {"5f1a2b3c4d5e6f7a8b9c" + std::to_string(1000 + i % 9000),
            0,
            "Concert at the arena, row " + std::to_string(i % 40),
            2050 + i % 100,
            "6a1b2c3d4e5f6a7b8c9d0e1f"};
}

void Progress(const char* what, long done, long total) {
    std::fprintf(stderr, "\r%-34s %8ld / %ld", what, done, total);
    if (done >= total) {
        std::fprintf(stderr, "\n");
    }
}

// Shows progress until `count` reaches n (or 600 s pass); returns count per second since start.
double RateWhenDone(const char* what,
                    const std::atomic<long>& count,
                    long n,
                    Clock::time_point start) {
    while (count.load() < n && Seconds(start) < 600) {
        Progress(what, count.load(), n);
        std::this_thread::sleep_for(100ms);  // progress display only
    }
    Progress(what, count.load(), n);
    return static_cast<double>(count.load()) / Seconds(start);
}

void Purge(jsCtx* js) {
    js_PurgeStream(js, "TICKETING", nullptr, nullptr);
}

double RawPublish(jsCtx* js, int n) {
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
        auto payload = events::Encode(Sample(i));
        natsMsg* msg = nullptr;
        natsMsg_Create(
            &msg, "ticket:created", nullptr, payload.data(), static_cast<int>(payload.size()));
        natsMsgHeader_Set(msg, "Ticketing-Occurred-At", "2026-11-22T10:00:00.000Z");
        std::string id = "raw-" + std::to_string(i);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id.c_str();
        if (js_PublishMsgAsync(js, &msg, &po) != NATS_OK) {
            natsMsg_Destroy(msg);
        }
        if (i % 10000 == 0) {
            Progress("raw js_PublishMsgAsync", i, n);
        }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    js_PublishAsyncComplete(js, &po);
    Progress("raw js_PublishMsgAsync", n, n);
    return n / Seconds(start);
}

struct RawConsumer {
    std::atomic<long> count{0};
};

void OnRaw(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    natsMsg_Ack(msg, nullptr);
    natsMsg_Destroy(msg);
    static_cast<RawConsumer*>(closure)->count.fetch_add(1);
}

double RawConsume(jsCtx* js, int n) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "bench-raw";
    cc.DeliverSubject = "_bench.raw";
    cc.DeliverGroup = "bench-raw";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxAckPending = 1000;
    cc.FilterSubject = "ticket:created";
    jsConsumerInfo* ci = nullptr;
    js_AddConsumer(&ci, js, "TICKETING", &cc, nullptr, nullptr);
    jsConsumerInfo_Destroy(ci);
    RawConsumer state;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "TICKETING";
    so.Consumer = "bench-raw";
    so.Queue = "bench-raw";
    so.ManualAck = true;
    natsSubscription* sub = nullptr;
    auto start = Clock::now();
    js_Subscribe(&sub, js, "ticket:created", &OnRaw, &state, nullptr, &so, nullptr);
    natsSubscription_SetPendingLimits(sub, 65536, 256 * 1024 * 1024);
    while (state.count.load() < n && Seconds(start) < 300) {
        Progress("raw consume", state.count.load(), n);
        std::this_thread::sleep_for(100ms);  // progress display only, not synchronisation
    }
    double rate = static_cast<double>(state.count.load()) / Seconds(start);
    Progress("raw consume", state.count.load(), n);
    natsSubscription_Destroy(sub);
    return rate;
}

}  // namespace

int main(int argc, char** argv) {
    int n = 100000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            n = std::stoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: ticketing-bus-bench [--events N]\n");
            return 2;
        }
    }
    log::Init("bench", log::Level::kError);
    test::NatsServer nats;
    test::TempDir dir("ticketing-bench-");
    metrics::Registry registry;
    bus::ConnectionOptions co;
    co.url = nats.Url();
    auto connection = bus::NatsConnection::Connect(co);
    connection->EnsureStreams();
    // The raw side has its own plain nats.c connection.
    natsConnection* raw_conn = nullptr;
    if (natsConnection_ConnectTo(&raw_conn, nats.Url().c_str()) != NATS_OK) {
        std::fprintf(stderr, "cannot connect to %s\n", nats.Url().c_str());
        return 1;
    }
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, raw_conn, nullptr);

    // 1. publish
    jsCtx* raw_js = nullptr;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 1024;
    natsConnection_JetStream(&raw_js, raw_conn, &jo);
    double raw_publish = RawPublish(raw_js, n);
    jsCtx_Destroy(raw_js);
    Purge(js);

    auto db = db::Database::Open("sqlite://" + (dir.Path() / "bench.db").string());
    db::RunMigrations(*db, bus::WithBusMigrations(false, {}));
    auto insert_start = Clock::now();
    const int kPerTx = 100;
    for (int i = 0; i < n; i += kPerTx) {
        db->Transaction([&](soci::session& tx) {
            for (int j = i; j < std::min(n, i + kPerTx); ++j) {
                bus::Outbox::Add(tx, Sample(j), {"", std::chrono::system_clock::now()});
            }
        });
        if (i % 10000 == 0) {
            Progress("outbox insert (100 per tx)", i, n);
        }
    }
    Progress("outbox insert (100 per tx)", n, n);
    double insert_rate = n / Seconds(insert_start);
    bus::NatsPublisher publisher(*connection, registry);
    bus::OutboxRelay relay(*db, publisher, registry);
    auto relay_start = Clock::now();
    relay.Start();
    while (relay.published() < static_cast<std::uint64_t>(n) && Seconds(relay_start) < 600) {
        Progress("outbox relay publish", static_cast<long>(relay.published()), n);
        std::this_thread::sleep_for(100ms);  // progress display only
    }
    double outbox_publish = static_cast<double>(relay.published()) / Seconds(relay_start);
    Progress("outbox relay publish", static_cast<long>(relay.published()), n);
    relay.Stop();

    // 2. consume (the stream now holds the n events the relay published)
    double raw_consume = RawConsume(js, n);

    // A consumer in queue group `group`, subscribed by `subscribe`, counting into `count`: its
    // rate once it has handled all n events.
    auto consume = [&](const char* what, const char* group, std::atomic<long>& count,
                       const std::function<void(bus::NatsSubscriber&)>& subscribe) {
        bus::SubscriberOptions so;
        so.queue_group = group;
        bus::NatsSubscriber subscriber(*connection, so, registry);
        auto start = Clock::now();
        subscribe(subscriber);
        return RateWhenDone(what, count, n, start);
    };

    std::atomic<long> handled{0};
    double inbox_consume =
        consume("consume with inbox (SQLite)", "bench-inbox", handled, [&](auto& subscriber) {
            subscriber.template Subscribe<events::TicketCreated>(
                [&](const events::TicketCreated&, const bus::MessageMeta& meta) {
                    auto d = bus::HandleOnce(
                        *db, meta, [](soci::session&) { return bus::AckDecision::kAck; });
                    handled.fetch_add(1);
                    return d;
                });
        });

    // The same with the consumer taking batches (EventSubscriber::SubscribeBatch, as orders'
    // ticket listeners do): one transaction records a whole batch in the inbox.
    std::atomic<long> batched{0};
    double batch_consume = consume(
        "consume with inbox, batches (SQLite)", "bench-inbox-batch", batched, [&](auto& subscriber) {
            subscriber.template SubscribeBatch<events::TicketCreated>(
                [&](std::span<const events::TicketCreated> events,
                    std::span<const bus::MessageMeta> metas) {
                    db->Transaction([&](soci::session& tx) {
                        for (const auto& meta : metas) {
                            bus::RecordHandled(tx, meta.consumer, meta.event_id);
                        }
                    });
                    batched.fetch_add(static_cast<long>(events.size()));
                    return std::vector<bus::AckDecision>(events.size(), bus::AckDecision::kAck);
                },
                128);
        });

    std::printf(
        "\nEvent path benchmark, %d events, one nats-server (JetStream file store), SQLite\n", n);
    std::printf("%-40s %12s\n", "path", "events/s");
    std::printf("%-40s %12.0f\n", "raw js_PublishMsgAsync", raw_publish);
    std::printf("%-40s %12.0f   (%.2f of raw; target >= 0.30)\n",
                "outbox relay publish",
                outbox_publish,
                outbox_publish / raw_publish);
    std::printf("%-40s %12.0f\n", "outbox insert (100 rows per tx)", insert_rate);
    std::printf("%-40s %12.0f\n", "raw consume (ack each)", raw_consume);
    std::printf("%-40s %12.0f   (target >= 10000)\n", "consume with inbox (SQLite)", inbox_consume);
    std::printf("%-40s %12.0f   (%.2f of raw consume; issue 20's target >= 0.30)\n",
                "consume with inbox, batches (SQLite)",
                batch_consume,
                batch_consume / raw_consume);
    jsCtx_Destroy(js);
    natsConnection_Destroy(raw_conn);
    bool ok = outbox_publish >= 0.3 * raw_publish && inbox_consume >= 10000;
    std::printf("verdict: %s\n", ok ? "targets met" : "targets NOT met");
    return ok ? 0 : 1;
}

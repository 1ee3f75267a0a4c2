// ticketing-replay-bench: replay speed (issue 10), side by side with a raw consume of the same
// stream in the same run. A generator publishes N events (default 1 000 000) of a realistic mix
// to a nats-server started here (JetStream, file store): stories of a ticket created and edited,
// ordered (reserved), then paid and completed, or cancelled and released, or expired. Then:
//   raw consume    plain nats.c pull consumer, fetch batches, nothing done with the messages
//   replay orders  the orders service's replay (RunReplay + OrdersReplayer) into SQLite
//   replay tickets the tickets service's replay into SQLite
// and prints events per second for each and the ratio to raw (target: replay >= 0.3 of raw).
// Usage: ticketing-replay-bench [--events N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include <nats/nats.h>

#include "common/bus/connection.hpp"
#include "common/events/events.hpp"
#include "common/log/log.hpp"
#include "common/service/replay.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/util/clock.hpp"

#include "replay/orders_replayer.hpp"
#include "replay/tickets_replayer.hpp"

// Both services name their schema header storage/migrations.hpp; say what it declares here.
namespace ticketing::orders {
const std::vector<db::Migration>& Migrations();
}
namespace ticketing::tickets {
const std::vector<db::Migration>& Migrations();
}

namespace {

using namespace ticketing;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

double Since(SteadyClock::time_point t) {
    return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::string Id(const char* kind, long n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%022lx", kind, n);
    return buf;
}

// Publishes the stories with raw async publishes until `total` events are out.
class Generator {
public:
    Generator(jsCtx* js, long total) : js_(js), total_(total) {}

    long Run() {
        const auto now = util::SystemClock().Now();
        for (long story = 0; published_ < total_; ++story) {
            std::string t = Id("t0", story), o = Id("o0", story), u = Id("u0", story % 5000);
            events::TicketCreated created{t, 0, "Concert " + std::to_string(story), 2000, u};
            Publish(created);
            Publish(events::TicketUpdated{t, 1, created.title, 2500, u, {}});
            Publish(events::OrderCreated{o,
                                         0,
                                         events::OrderStatus::kCreated,
                                         Id("b0", story % 7000),
                                         now + 15min,
                                         {t, 2500}});
            Publish(events::TicketUpdated{t, 2, created.title, 2500, u, o});
            switch (story % 3) {
                case 0:  // paid
                    Publish(
                        events::PaymentCreated{Id("p0", story), o, "ch_" + std::to_string(story)});
                    Publish(events::OrderCompleted{o, 1, {t}});
                    break;
                case 1:  // cancelled by the buyer
                    Publish(events::OrderCancelled{o, 1, {t}});
                    Publish(events::TicketUpdated{t, 3, created.title, 2500, u, {}});
                    break;
                default:  // expired
                    Publish(events::ExpirationComplete{o});
                    Publish(events::OrderCancelled{o, 1, {t}});
                    Publish(events::TicketUpdated{t, 3, created.title, 2500, u, {}});
            }
            if (story % 5000 == 0) {
                std::fprintf(stderr, "\rpublishing %10ld / %ld", published_, total_);
            }
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 60000;
        js_PublishAsyncComplete(js_, &po);
        std::fprintf(stderr, "\rpublishing %10ld / %ld\n", published_, total_);
        return published_;
    }

private:
    template <class E>
    void Publish(const E& e) {
        if (published_ >= total_) {
            return;
        }
        auto payload = events::Encode(e);
        natsMsg* msg = nullptr;
        natsMsg_Create(&msg,
                       std::string(E::kSubject.name).c_str(),
                       nullptr,
                       payload.data(),
                       static_cast<int>(payload.size()));
        std::string id = "bench-" + std::to_string(published_);
        natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
        natsMsgHeader_Set(msg, "Ticketing-Occurred-At", "2026-11-22T10:00:00.000Z");
        js_PublishMsgAsync(js_, &msg, nullptr);
        if (msg != nullptr) {
            natsMsg_Destroy(msg);
        }
        ++published_;
    }

    jsCtx* js_;
    long total_;
    long published_ = 0;
};

// The replay pipeline without the database: decodes the events the orders service applies.
class DecodeOnlyReplayer final : public service::EventReplayer {
public:
    std::vector<std::string> Tables() const override { return {}; }
    void Write(soci::session&) override {}
    Outcome Apply(const bus::StoredEvent& e) override {
        if (e.subject == events::kTicketCreated.name) {
            events::Decode<events::TicketCreated>(e.payload);
        } else if (e.subject == events::kTicketUpdated.name) {
            events::Decode<events::TicketUpdated>(e.payload);
        } else if (e.subject == events::kOrderCreated.name) {
            events::Decode<events::OrderCreated>(e.payload);
        } else {
            return Outcome::kSkipped;
        }
        return Outcome::kApplied;
    }
};

double RawConsume(jsCtx* js, long total) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "raw-bench";
    cc.AckPolicy = js_AckNone;
    cc.DeliverPolicy = js_DeliverAll;
    jsConsumerInfo* ci = nullptr;
    js_AddConsumer(&ci, js, "TICKETING", &cc, nullptr, nullptr);
    jsConsumerInfo_Destroy(ci);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "TICKETING";
    so.Consumer = "raw-bench";
    natsSubscription* sub = nullptr;
    js_PullSubscribe(&sub, js, nullptr, "raw-bench", nullptr, &so, nullptr);
    long read = 0;
    auto start = SteadyClock::now();
    while (read < total && Since(start) < 600) {
        natsMsgList list{nullptr, 0};
        if (natsSubscription_Fetch(&list, sub, 2000, 5000, nullptr) != NATS_OK) {
            break;
        }
        read += list.Count;
        natsMsgList_Destroy(&list);
        if (read % 100000 < 2000) {
            std::fprintf(stderr, "\rraw consume %10ld / %ld", read, total);
        }
    }
    double rate = static_cast<double>(read) / Since(start);
    std::fprintf(stderr, "\rraw consume %10ld / %ld\n", read, total);
    natsSubscription_Destroy(sub);
    js_DeleteConsumer(js, "TICKETING", "raw-bench", nullptr, nullptr);
    return rate;
}

double Replay(const std::string& nats_url,
              const std::string& service,
              const std::vector<db::Migration>& migrations,
              service::EventReplayer& replayer,
              const test::TempDir& dir,
              long total) {
    config::CommonConfig cfg;
    cfg.service = service;
    cfg.nats_url = nats_url;
    cfg.database_url = "sqlite://" + (dir.Path() / (service + ".db")).string();
    std::ostringstream out;
    auto start = SteadyClock::now();
    if (service::RunReplay(cfg, migrations, service + "-service", replayer, {}, out, std::cerr) !=
        0) {
        std::fprintf(stderr, "replay of %s failed\n", service.c_str());
        return 0;
    }
    return static_cast<double>(total) / Since(start);
}

}  // namespace

int main(int argc, char** argv) {
    long total = 1'000'000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            total = std::stol(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: ticketing-replay-bench [--events N]\n");
            return 2;
        }
    }
    log::Init("bench", log::Level::kError);
    test::NatsServer nats;
    test::TempDir dir("ticketing-replay-bench-");
    {
        bus::ConnectionOptions co;
        co.url = nats.Url();
        bus::NatsConnection::Connect(co)->EnsureStreams();
    }
    natsConnection* nc = nullptr;
    if (natsConnection_ConnectTo(&nc, nats.Url().c_str()) != NATS_OK) {
        std::fprintf(stderr, "cannot connect to %s\n", nats.Url().c_str());
        return 1;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 4096;
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, nc, &jo);

    long published = Generator(js, total).Run();
    double raw = RawConsume(js, published);
    DecodeOnlyReplayer decode_only;
    double decode_rate =
        Replay(nats.Url(), "decode", orders::Migrations(), decode_only, dir, published);
    orders::OrdersReplayer orders_replayer;
    double orders_rate =
        Replay(nats.Url(), "orders", orders::Migrations(), orders_replayer, dir, published);
    tickets::TicketsReplayer tickets_replayer;
    double tickets_rate =
        Replay(nats.Url(), "tickets", tickets::Migrations(), tickets_replayer, dir, published);

    std::printf(
        "\nreplay benchmark: %ld events (realistic mix), one nats-server (file store), SQLite\n",
        published);
    std::printf("%-36s %12s\n", "path", "events/s");
    std::printf("%-36s %12.0f\n", "raw consume (nats.c pull, no work)", raw);
    std::printf("%-36s %12.0f   (the pipeline without SQL)\n", "replay, decode only", decode_rate);
    std::printf("%-36s %12.0f   (%.2f of raw; target >= 0.30)\n",
                "replay orders",
                orders_rate,
                orders_rate / raw);
    std::printf("%-36s %12.0f   (%.2f of raw; target >= 0.30)\n",
                "replay tickets",
                tickets_rate,
                tickets_rate / raw);
    bool ok = orders_rate >= 0.3 * raw && tickets_rate >= 0.3 * raw;
    std::printf("verdict: %s\n", ok ? "targets met" : "targets NOT met");
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return ok ? 0 : 1;
}

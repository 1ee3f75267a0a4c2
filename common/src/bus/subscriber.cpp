#include "common/bus/subscriber.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <vector>
#include <mutex>
#include <unordered_set>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {

HandlerResult RunDecoded(const std::function<AckDecision()>& call) {
    try {
        AckDecision d = call();
        return {d, d == AckDecision::kDeadLetter ? "rejected by handler" : ""};
    } catch (const std::exception& e) {
        log::Warn("event handler failed, will retry", {{"error", e.what()}});
        return {AckDecision::kRetry, std::string("handler failed: ") + e.what(), true};
    }
}

namespace {

// A batch handler called with a batch of one.
RawHandler OneAtATime(RawBatchHandler handler) {
    return [h = std::move(handler)](std::string_view payload, const MessageMeta& meta) {
        RawDelivery d{payload, &meta};
        auto results = h(std::span<const RawDelivery>(&d, 1));
        return results.size() == 1
                   ? std::move(results.front())
                   : HandlerResult{AckDecision::kRetry, "batch handler failed", true};
    };
}

std::string HeaderOr(natsMsg* msg, const char* name, std::string fallback = "") {
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, name, &value) == NATS_OK && value != nullptr) {
        return value;
    }
    return fallback;
}

// What the bus_consumer_pending gauge reads at scrape time: the consumers this subscriber bound.
// Shared with the registry's callback, which may outlive the subscriber: once `connection` is
// cleared (under mu) the callback reports nothing.
struct PendingProbe {
    std::mutex mu;
    NatsConnection* connection = nullptr;
    std::vector<std::string> consumers;

    metrics::Registry::LabeledValues Read() {
        metrics::Registry::LabeledValues out;
        std::lock_guard lock(mu);
        if (connection == nullptr) {
            return out;
        }
        jsOptions o;
        jsOptions_Init(&o);
        o.Wait = 500;  // a scrape must not hang on a bus that is down
        for (const auto& consumer : consumers) {
            jsConsumerInfo* ci = nullptr;
            jsErrCode jerr = static_cast<jsErrCode>(0);
            std::string stream(kStreamName);
            if (js_GetConsumerInfo(&ci,
                                   connection->handles().js,
                                   stream.c_str(),
                                   consumer.c_str(),
                                   &o,
                                   &jerr) != NATS_OK) {
                continue;  // unknown now: no sample rather than a stale one
            }
            out.push_back({{{"consumer", consumer}},
                           static_cast<double>(ci->NumPending) +
                               static_cast<double>(ci->NumAckPending)});
            jsConsumerInfo_Destroy(ci);
        }
        return out;
    }
};

}  // namespace

class NatsSubscriber::Impl {
public:
    // One delivery on its way through Prepare, the handler and Settle.
    struct Delivery {
        natsMsg* msg = nullptr;
        MessageMeta meta;
        std::int64_t stored_at_ns = 0;
        std::chrono::steady_clock::time_point started;
    };

    struct Binding {
        Impl* owner = nullptr;
        std::string subject;
        std::string consumer;
        RawHandler handler;
        // Set for a batch consumer: deliveries gather in `stash` while more are queued in this
        // process, up to max_batch, and go to batch_handler together (`handler` then runs one
        // of them alone, for retries).
        RawBatchHandler batch_handler;
        std::size_t max_batch = 1;
        std::vector<Delivery> stash;  // touched only from this subscription's delivery thread
        natsSubscription* sub = nullptr;
        // This consumer's metric children, looked up once rather than per event.
        metrics::Counter* acked = nullptr;
        metrics::Counter* retried = nullptr;
        metrics::Counter* dead = nullptr;
        metrics::Counter* dead_lettered = nullptr;
        metrics::Counter* redelivered = nullptr;
        metrics::Counter* held = nullptr;
        metrics::Histogram* latency = nullptr;
        // Stream sequences this process acknowledged lately (the newest kRecentAcks): a
        // redelivery of one of them is a duplicate whose acknowledgement was lost or overtaken
        // (deliveries queued behind a held one are redelivered every ack wait while a
        // dependency is down), acknowledged again without running the handler. Touched only
        // from this subscription's delivery thread.
        std::unordered_set<std::uint64_t> recent_acks;
        std::deque<std::uint64_t> recent_ack_order;

        bool AckedLately(std::uint64_t seq) const { return recent_acks.contains(seq); }
        void RememberAck(std::uint64_t seq) {
            if (seq == 0 || !recent_acks.insert(seq).second) {
                return;
            }
            recent_ack_order.push_back(seq);
            if (recent_ack_order.size() > kRecentAcks) {
                recent_acks.erase(recent_ack_order.front());
                recent_ack_order.pop_front();
            }
        }
    };
    static constexpr std::size_t kRecentAcks = 65536;

    Impl(NatsConnection& connection, SubscriberOptions options, metrics::Registry& metrics)
        : connection_(connection),
          options_(std::move(options)),
          handled_(metrics.AddCounter("bus_events_handled_total",
                                      "Events handled, by consumer and decision")),
          dead_lettered_(metrics.AddCounter("bus_events_dead_lettered_total",
                                            "Events parked on deadletter.<subject>, by consumer")),
          redeliveries_(metrics.AddCounter("bus_redeliveries_total",
                                           "Deliveries after the first, by consumer")),
          held_(metrics.AddCounter(
              "bus_delivery_holds_total",
              "Ack deadlines extended for a delivery held while the dependencies are down, by "
              "consumer")),
          latency_(metrics.AddHistogram("bus_event_handling_seconds",
                                        "Time to handle one event, by consumer")),
          pending_(std::make_shared<PendingProbe>()) {
        pending_->connection = &connection_;
        metrics.AddCallbackGauges(
            "bus_consumer_pending",
            "Events of the durable consumer not yet acknowledged (JetStream num_pending + "
            "num_ack_pending), by consumer",
            [probe = pending_] { return probe->Read(); });
    }

    // Stops new deliveries, then waits, without a time limit, until nats.c reports every
    // subscription closed with its handler returned (the on-complete callback): only then may
    // what the handlers use be destroyed. A handler that never returns is a bug to see, so the
    // wait says every 30 s what it is waiting for.
    ~Impl() {
        {
            std::lock_guard probe_lock(pending_->mu);
            pending_->connection = nullptr;
        }
        {
            std::lock_guard lock(mu_);
            closing_.store(true);
        }
        cv_.notify_all();  // wakes held deliveries
        for (auto& b : bindings_) {
            // Unsubscribing a consumer this process bound to (not created by js_Subscribe) keeps
            // the durable for the other replicas and the next start.
            natsStatus s = natsSubscription_Unsubscribe(b.sub);
            if (s != NATS_OK) {
                log::Warn("unsubscribe failed; waiting for the subscription to close",
                          {{"consumer", b.consumer}, {"error", natsStatus_GetText(s)}});
            }
        }
        {
            std::unique_lock lock(mu_);
            while (!cv_.wait_for(lock, std::chrono::seconds(30), [this] { return open_ == 0; })) {
                log::Warn("still waiting for event handlers to return",
                          {{"subscriptions_open", open_}, {"handlers_running", running_}});
            }
        }
        for (auto& b : bindings_) {
            natsSubscription_Destroy(b.sub);
            b.sub = nullptr;
        }
    }

    void Subscribe(events::Subject subject,
                   RawHandler handler,
                   RawBatchHandler batch_handler = nullptr,
                   std::size_t max_batch = 1) {
        auto& h = connection_.handles();
        std::string subject_name(subject.name);
        std::string consumer = ConsumerName(options_.queue_group, subject_name);
        std::string deliver = "_TICKETING.deliver." + consumer;
        EnsureConsumer(h.js, subject_name, consumer, deliver);

        Binding binding;
        binding.owner = this;
        binding.subject = subject_name;
        binding.consumer = consumer;
        binding.handler = std::move(handler);
        binding.batch_handler = std::move(batch_handler);
        binding.max_batch = std::max<std::size_t>(max_batch, 1);
        bindings_.push_back(std::move(binding));
        Binding& b = bindings_.back();
        auto decision = [&](AckDecision d) {
            return &handled_.With({{"consumer", consumer}, {"decision", std::string(ToString(d))}});
        };
        b.acked = decision(AckDecision::kAck);
        b.retried = decision(AckDecision::kRetry);
        b.dead = decision(AckDecision::kDeadLetter);
        b.dead_lettered = &dead_lettered_.With({{"consumer", consumer}});
        b.redelivered = &redeliveries_.With({{"consumer", consumer}});
        b.held = &held_.With({{"consumer", consumer}});
        b.latency = &latency_.With({{"consumer", consumer}});
        std::string stream(kStreamName);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = stream.c_str();
        so.Consumer = consumer.c_str();
        so.Queue = options_.queue_group.c_str();
        so.ManualAck = true;  // otherwise the library acks when the callback returns
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_Subscribe(
            &b.sub, h.js, subject_name.c_str(), &Impl::OnMessage, &b, nullptr, &so, &jerr);
        if (s != NATS_OK) {
            bindings_.pop_back();
            throw BusError(NatsErrorText(("binding consumer " + consumer).c_str(), s, jerr));
        }
        // Handlers are slow next to the bus: let the server hold the backlog, not this process.
        natsSubscription_SetPendingLimits(b.sub, 65536, 256 * 1024 * 1024);
        {
            std::lock_guard lock(mu_);
            ++open_;
        }
        s = natsSubscription_SetOnCompleteCB(b.sub, &Impl::OnComplete, &b);
        if (s != NATS_OK) {
            // Without it the shutdown could not know when the handler is done: refuse to run.
            natsSubscription_Unsubscribe(b.sub);
            natsSubscription_Destroy(b.sub);
            bindings_.pop_back();
            std::lock_guard lock(mu_);
            --open_;
            throw BusError(NatsErrorText(("watching subscription " + consumer).c_str(), s));
        }
        {
            std::lock_guard probe_lock(pending_->mu);
            pending_->consumers.push_back(consumer);
        }
        log::Info("listening", {{"subject", subject_name}, {"consumer", consumer}});
    }

private:
    void EnsureConsumer(jsCtx* js,
                        const std::string& subject,
                        const std::string& consumer,
                        const std::string& deliver) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = consumer.c_str();
        cc.DeliverSubject = deliver.c_str();
        cc.DeliverGroup = options_.queue_group.c_str();
        cc.DeliverPolicy = js_DeliverAll;
        cc.AckPolicy = js_AckExplicit;
        cc.AckWait = ToNatsNanos(options_.ack_wait);
        // Unlimited: the rules in Process decide when an event is given up on (a server-side
        // limit would silently stop delivering an event whose dependency is down too long).
        cc.MaxDeliver = -1;
        cc.MaxAckPending = options_.max_ack_pending;
        cc.FilterSubject = subject.c_str();
        std::string stream(kStreamName);
        jsConsumerInfo* ci = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
        if (s == NATS_OK) {
            jsConsumerInfo_Destroy(ci);
            return;
        }
        // It exists with other settings: update it (binding would fail otherwise).
        jerr = static_cast<jsErrCode>(0);
        s = js_UpdateConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
        if (s != NATS_OK) {
            throw BusError(NatsErrorText(("creating consumer " + consumer).c_str(), s, jerr));
        }
        jsConsumerInfo_Destroy(ci);
    }

    // nats.c: the subscription is closed and its handler has returned for the last time.
    static void OnComplete(void* closure) {
        auto* b = static_cast<Binding*>(closure);
        Impl* self = b->owner;
        // Gathered when the subscription closed: back to the server for another replica.
        NakAll(*b);
        {
            std::lock_guard lock(self->mu_);
            --self->open_;
        }
        self->cv_.notify_all();
    }

    static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
        auto* b = static_cast<Binding*>(closure);
        b->owner->Handle(*b, msg);
    }

    void Handle(Binding& b, natsMsg* msg) {
        {
            std::lock_guard lock(mu_);
            ++running_;
        }
        // No exception crosses the C callback: Process and Gather catch all.
        if (closing_.load()) {
            NakAll(b);
            natsMsg_Destroy(msg);
        } else if (b.batch_handler) {
            Gather(b, msg);
        } else {
            Process(b, msg);
            natsMsg_Destroy(msg);
        }
        {
            std::lock_guard lock(mu_);
            --running_;
        }
        cv_.notify_all();
    }

    void Process(Binding& b, natsMsg* msg) {
        Delivery d{msg, {}, 0, std::chrono::steady_clock::now()};
        if (!Prepare(b, d)) {
            return;
        }
        std::string trace_id = TraceId(d.meta);
        log::ScopedContext context("", trace_id);
        Settle(b, d, Run(b, msg, d.meta));
    }

    // A batch consumer's delivery: kept while more are queued here (and the batch has room),
    // then the whole batch goes to the handler and each delivery is settled on its own.
    void Gather(Binding& b, natsMsg* msg) {
        Delivery d{msg, {}, 0, std::chrono::steady_clock::now()};
        if (Prepare(b, d)) {
            b.stash.push_back(std::move(d));
        } else {
            natsMsg_Destroy(msg);
        }
        int queued = 0;
        if (natsSubscription_GetPending(b.sub, &queued, nullptr) == NATS_OK && queued > 0 &&
            b.stash.size() < b.max_batch) {
            return;
        }
        std::vector<Delivery> batch;
        batch.swap(b.stash);
        if (batch.empty()) {
            return;
        }
        std::vector<RawDelivery> raw;
        raw.reserve(batch.size());
        for (const auto& item : batch) {
            raw.push_back({std::string_view(natsMsg_GetData(item.msg),
                                            static_cast<std::size_t>(
                                                natsMsg_GetDataLength(item.msg))),
                           &item.meta});
        }
        std::vector<HandlerResult> results;
        try {
            results = b.batch_handler(raw);
        } catch (const std::exception& e) {
            results.clear();
            log::Warn("event batch handler failed, will retry", {{"error", e.what()}});
        }
        if (results.size() != batch.size()) {
            // A throw (or a handler that lost count): each one is tried again on its own.
            results.assign(batch.size(),
                           HandlerResult{AckDecision::kRetry, "batch handler failed", true});
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            std::string trace_id = TraceId(batch[i].meta);
            log::ScopedContext context("", trace_id);
            HandlerResult result = std::move(results[i]);
            if (i > 0 && result.transient) {
                // Settling the ones before may have waited for the dependencies (a hold): try
                // again at once rather than after the in-place pause each.
                result = Run(b, batch[i].msg, batch[i].meta);
            }
            Settle(b, batch[i], std::move(result));
            natsMsg_Destroy(batch[i].msg);
        }
    }

    // Hands every gathered delivery back to the server (shutting down).
    static void NakAll(Binding& b) {
        for (auto& d : b.stash) {
            natsMsg_Nak(d.msg, nullptr);
            natsMsg_Destroy(d.msg);
        }
        b.stash.clear();
    }

    static std::string TraceId(const MessageMeta& meta) {
        return meta.traceparent.size() >= 35 ? meta.traceparent.substr(3, 32) : "";
    }

    // Reads the delivery's metadata into d.meta. False when it needs no handler: a redrive for
    // another consumer, or a duplicate of one acknowledged lately (both acknowledged here).
    bool Prepare(Binding& b, Delivery& d) {
        natsMsg* msg = d.msg;
        MessageMeta& meta = d.meta;
        std::int64_t& stored_at_ns = d.stored_at_ns;
        meta.subject = b.subject;
        meta.consumer = b.consumer;
        jsMsgMetaData* md = nullptr;
        if (natsMsg_GetMetaData(&md, msg) == NATS_OK) {
            meta.stream_sequence = md->Sequence.Stream;
            meta.num_delivered = md->NumDelivered;
            stored_at_ns = md->Timestamp;
            jsMsgMetaData_Destroy(md);
        }
        // A redriven event (scripts/run.sh dlq redrive) is for one consumer only; the others
        // acknowledge it untouched. It keeps its original event id, so the inbox sees through it.
        std::string redrive_for = HeaderOr(msg, kRedriveForHeader);
        if (!redrive_for.empty() && redrive_for != b.consumer) {
            connection_.handles().Ack(msg);
            return false;
        }
        if (meta.num_delivered > 1 && b.AckedLately(meta.stream_sequence)) {
            connection_.handles().Ack(msg);
            b.redelivered->Inc();
            b.acked->Inc();
            return false;
        }
        meta.event_id = HeaderOr(
            msg,
            kEventIdHeader,
            HeaderOr(msg,
                     kMsgIdHeader,
                     std::string(kStreamName) + "-" + std::to_string(meta.stream_sequence)));
        meta.traceparent = HeaderOr(msg, kTraceparentHeader);
        meta.occurred_at = HeaderOr(msg, kOccurredAtHeader);
        return true;
    }

    // Tries a transient failure again (held while the dependencies are down, then in place),
    // turns an old "not yet" into a dead letter, then acknowledges, naks or parks the delivery,
    // counts it and logs it.
    void Settle(Binding& b, Delivery& d, HandlerResult result) {
        natsMsg* msg = d.msg;
        const MessageMeta& meta = d.meta;
        const std::int64_t stored_at_ns = d.stored_at_ns;
        const auto started = d.started;
        auto pause = options_.in_place_retry_pause;
        for (int retried = 0;; ++retried) {
            // A dependency is down: hold this delivery (and so take no new one on this
            // consumer) until the service's dependencies answer again, then try again at once.
            while (result.transient && DependenciesDown()) {
                if (!HoldUntilReady(b, msg)) {
                    // Shutting down: hand it back for another replica or the next start.
                    natsMsg_Nak(msg, nullptr);
                    return;
                }
                result = Run(b, msg, meta);
            }
            if (!result.transient || retried >= options_.in_place_retries) {
                break;
            }
            // The dependencies answer, yet the call failed: most often one that came back a
            // moment ago, or a connection of the handler's that broke in the outage and is being
            // made again. Try again here shortly rather than hand the delivery back with a delay
            // that grows with every delivery the outage counted (seconds, for an event that
            // was redelivered while it waited behind a held one: Outage.redis).
            if (!PauseUnlessClosing(pause)) {
                natsMsg_Nak(msg, nullptr);
                return;
            }
            pause *= 2;
            result = Run(b, msg, meta);
        }
        if (result.decision == AckDecision::kRetry && !result.transient && stored_at_ns > 0) {
            auto age = std::chrono::system_clock::now().time_since_epoch() -
                       std::chrono::nanoseconds(stored_at_ns);
            if (age >= options_.retry_horizon) {
                result = {AckDecision::kDeadLetter,
                          "not applicable after " +
                              std::to_string(
                                  std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                              " s (retry horizon " +
                              std::to_string(options_.retry_horizon.count()) +
                              " s, " + std::to_string(meta.num_delivered) +
                              " deliveries): " + result.reason};
            }
        }
        if (meta.num_delivered > 1) {
            b.redelivered->Inc();
        }

        natsStatus s = NATS_OK;
        switch (result.decision) {
            case AckDecision::kAck:
                s = connection_.handles().Ack(msg);
                if (s == NATS_OK) {
                    b.RememberAck(meta.stream_sequence);
                }
                break;
            case AckDecision::kRetry:
                s = natsMsg_NakWithDelay(
                    msg,
                    ToNatsMillis(result.transient
                                     ? TransientRetryDelay(meta.num_delivered,
                                                           options_.transient_backoff_cap)
                                     : RetryDelay(meta.num_delivered)),
                    nullptr);
                break;
            case AckDecision::kDeadLetter:
                if (DeadLetter(b, msg, meta, result.reason)) {
                    s = natsMsg_Term(msg, nullptr);
                    b.dead_lettered->Inc();
                } else {
                    // Not parked yet: keep it in the stream and try again later.
                    s = natsMsg_NakWithDelay(
                        msg, ToNatsMillis(RetryDelay(meta.num_delivered)), nullptr);
                    result.decision = AckDecision::kRetry;
                }
                break;
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        switch (result.decision) {
            case AckDecision::kAck:
                b.acked->Inc();
                break;
            case AckDecision::kRetry:
                b.retried->Inc();
                break;
            case AckDecision::kDeadLetter:
                b.dead->Inc();
                break;
        }
        b.latency->Observe(seconds);
        log::Write(result.decision == AckDecision::kAck ? log::Level::kInfo : log::Level::kWarn,
                   "event",
                   {{"subject", b.subject},
                    {"consumer", b.consumer},
                    {"sequence", static_cast<std::int64_t>(meta.stream_sequence)},
                    {"deliveries", static_cast<std::int64_t>(meta.num_delivered)},
                    {"decision", ToString(result.decision)},
                    {"reason", result.reason},
                    {"ms", seconds * 1000.0}});
        if (s != NATS_OK) {
            log::Warn("acknowledgement not sent (the event will be redelivered)",
                      {{"error", natsStatus_GetText(s)}});
        }
    }

    static HandlerResult Run(Binding& b, natsMsg* msg, const MessageMeta& meta) {
        try {
            std::string_view payload(natsMsg_GetData(msg),
                                     static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
            return b.handler(payload, meta);
        } catch (const std::exception& e) {
            return {AckDecision::kRetry, std::string("handler failed: ") + e.what(), true};
        }
    }

    bool DependenciesDown() const {
        return options_.dependencies_ready && !closing_.load() && !options_.dependencies_ready();
    }

    // Waits `pause`; false when the subscriber closes meanwhile.
    bool PauseUnlessClosing(std::chrono::milliseconds pause) {
        std::unique_lock lock(mu_);
        return !cv_.wait_for(lock, pause, [this] { return closing_.load(); });
    }

    // Waits until the dependencies answer (true) or the subscriber closes (false), telling the
    // server every third of the ack wait that the delivery is still being worked on, so it is
    // neither redelivered nor counted again meanwhile.
    bool HoldUntilReady(Binding& b, natsMsg* msg) {
        auto extend_every = options_.ack_wait / 3;
        auto extended = std::chrono::steady_clock::now();
        natsMsg_InProgress(msg, nullptr);
        b.held->Inc();
        while (DependenciesDown()) {
            {
                std::unique_lock lock(mu_);
                cv_.wait_for(lock, options_.ready_poll, [this] { return closing_.load(); });
            }
            if (closing_.load()) {
                return false;
            }
            if (std::chrono::steady_clock::now() - extended >= extend_every) {
                natsMsg_InProgress(msg, nullptr);
                b.held->Inc();
                extended = std::chrono::steady_clock::now();
            }
        }
        return !closing_.load();
    }

    // Republishes the raw message with its headers and the reason on deadletter.<subject>.
    bool DeadLetter(Binding& b, natsMsg* msg, const MessageMeta& meta, const std::string& reason) {
        std::string subject = events::DeadLetterSubject(b.subject);
        natsMsg* copy = nullptr;
        natsStatus s = natsMsg_Create(
            &copy, subject.c_str(), nullptr, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
        const char** keys = nullptr;
        int count = 0;
        if (s == NATS_OK && natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
            for (int i = 0; i < count && s == NATS_OK; ++i) {
                const char** values = nullptr;
                int n = 0;
                if (natsMsgHeader_Values(msg, keys[i], &values, &n) == NATS_OK) {
                    for (int j = 0; j < n && s == NATS_OK; ++j) {
                        // The original id would make the DLQ stream drop it as a duplicate of
                        // nothing; keep it under another name instead.
                        std::string key = std::string(keys[i]) == kMsgIdHeader
                                              ? "Ticketing-Original-Msg-Id"
                                              : keys[i];
                        s = natsMsgHeader_Add(copy, key.c_str(), values[j]);
                    }
                    free(static_cast<void*>(values));
                }
            }
            free(static_cast<void*>(keys));
        }
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(copy, kDeadLetterReasonHeader, reason.c_str());
        }
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(copy, kOriginalSubjectHeader, b.subject.c_str());
        }
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(copy, kConsumerHeader, b.consumer.c_str());
        }
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(
                copy, kOriginalSequenceHeader, std::to_string(meta.stream_sequence).c_str());
        }
        if (s == NATS_OK) {
            // One dead letter per (consumer, original message), however often this is retried.
            std::string id = "dlq-" + b.consumer + "-" + std::to_string(meta.stream_sequence);
            jsErrCode jerr = static_cast<jsErrCode>(0);
            s = PublishWithId(connection_.handles().js, copy, id, &jerr);
        }
        natsMsg_Destroy(copy);
        if (s != NATS_OK) {
            log::Error("dead letter not published",
                       {{"subject", subject}, {"error", natsStatus_GetText(s)}});
            return false;
        }
        log::Warn("event dead-lettered",
                  {{"subject", b.subject}, {"consumer", b.consumer}, {"reason", reason}});
        return true;
    }

    NatsConnection& connection_;
    SubscriberOptions options_;
    metrics::Family<metrics::Counter>& handled_;
    metrics::Family<metrics::Counter>& dead_lettered_;
    metrics::Family<metrics::Counter>& redeliveries_;
    metrics::Family<metrics::Counter>& held_;
    metrics::Family<metrics::Histogram>& latency_;
    std::shared_ptr<PendingProbe> pending_;

    std::mutex mu_;
    std::condition_variable cv_;
    int running_ = 0;  // handlers running now
    int open_ = 0;     // subscriptions whose on-complete callback has not run yet
    std::atomic<bool> closing_{false};
    std::list<Binding> bindings_;  // stable addresses: each is a callback closure
};

NatsSubscriber::NatsSubscriber(NatsConnection& connection,
                               SubscriberOptions options,
                               metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(connection, std::move(options), metrics)) {}

NatsSubscriber::~NatsSubscriber() = default;

void NatsSubscriber::SubscribeRaw(events::Subject subject, RawHandler handler) {
    impl_->Subscribe(subject, std::move(handler));
}

void NatsSubscriber::SubscribeRawBatch(events::Subject subject,
                                       RawBatchHandler handler,
                                       std::size_t max_batch) {
    RawHandler one = OneAtATime(handler);  // a copy: the batch handler is moved below
    impl_->Subscribe(subject, std::move(one), std::move(handler), max_batch);
}

void EventSubscriber::SubscribeRawBatch(events::Subject subject,
                                        RawBatchHandler handler,
                                        std::size_t /*max_batch*/) {
    SubscribeRaw(subject, OneAtATime(std::move(handler)));
}

}  // namespace ticketing::bus

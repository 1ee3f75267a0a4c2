#include "common/bus/publisher.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {

// One batch at a time: the ack handler finds each message's slot by its Nats-Msg-Id. Acks that
// arrive after a batch gave up on them are ignored (the rows are re-published later and dropped
// by the server's duplicate window).
class NatsPublisher::Impl {
public:
    Impl(NatsConnection& connection, metrics::Registry& metrics, Options options)
        : options_(options),
          published_(metrics.AddCounter("bus_events_published_total",
                                        "Events acknowledged by JetStream, by subject")),
          failed_(metrics
                      .AddCounter("bus_publish_failures_total",
                                  "Publishes not acknowledged (retried later)")
                      .With()) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.PublishAsync.MaxPending = static_cast<int64_t>(options_.max_in_flight);
        jo.PublishAsync.AckHandler = &Impl::OnAck;
        jo.PublishAsync.AckHandlerClosure = this;
        natsStatus s = natsConnection_JetStream(&js_, connection.handles().conn, &jo);
        if (s != NATS_OK) {
            throw BusError(NatsErrorText("creating publisher context", s));
        }
    }

    ~Impl() {
        // Waits for (or times out) what is still in flight before the handler's closure dies.
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 1000;
        js_PublishAsyncComplete(js_, &po);
        jsCtx_Destroy(js_);
    }

    std::vector<bool> PublishBatch(std::span<const Envelope> batch) {
        std::lock_guard batch_lock(batch_mu_);
        {
            std::lock_guard lock(mu_);
            acked_.assign(batch.size(), false);
            slots_.clear();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                slots_[batch[i].event_id] = i;
            }
            outstanding_ = 0;
        }
        for (const auto& e : batch) {
            if (!Send(e)) {
                break;  // keep order: nothing after a message that could not even be sent
            }
        }
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, options_.ack_timeout, [this] { return outstanding_ == 0; });
            slots_.clear();  // late acks are ignored from here on
        }
        std::vector<bool> result;
        {
            std::lock_guard lock(mu_);
            result = acked_;
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (result[i]) {
                published_.With({{"subject", batch[i].subject}}).Inc();
            } else {
                failed_.Inc();
            }
        }
        return result;
    }

    bool PublishAsync(const Envelope& e, std::function<void(bool)> on_ack) {
        {
            std::lock_guard lock(mu_);
            detached_[e.event_id] = std::move(on_ack);
        }
        if (!Send(e, /*counted=*/false)) {
            std::lock_guard lock(mu_);
            detached_.erase(e.event_id);
            return false;
        }
        return true;
    }

private:
    // `counted`: part of the batch in progress (outstanding_ counts it).
    bool Send(const Envelope& e, bool counted = true) {
        natsMsg* msg = nullptr;
        natsStatus s = natsMsg_Create(
            &msg, e.subject.c_str(), nullptr, e.payload.data(), static_cast<int>(e.payload.size()));
        // nats.c 3.4 writes an empty header value so that the server reads the next header
        // line as its value: an empty Ticketing-Occurred-At swallowed Nats-Msg-Id. Empty
        // values are left out.
        if (s == NATS_OK && !e.occurred_at.empty()) {
            s = natsMsgHeader_Set(msg, kOccurredAtHeader, e.occurred_at.c_str());
        }
        if (s == NATS_OK && !e.traceparent.empty()) {
            s = natsMsgHeader_Set(msg, kTraceparentHeader, e.traceparent.c_str());
        }
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);
            log::Error("cannot build event message", {{"error", natsStatus_GetText(s)}});
            return false;
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = e.event_id.c_str();
        po.MaxWait = ToNatsMillis(options_.ack_timeout);
        if (counted) {
            std::lock_guard lock(mu_);
            ++outstanding_;
        }
        s = js_PublishMsgAsync(js_, &msg, &po);
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);  // still ours when the call failed
            if (counted) {
                std::lock_guard lock(mu_);
                --outstanding_;
            }
            return false;
        }
        return true;
    }

    static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
        auto* self = static_cast<Impl*>(closure);
        const char* id = nullptr;
        natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
        const bool ok = pa != nullptr && pae == nullptr;
        std::function<void(bool)> detached;
        {
            std::lock_guard lock(self->mu_);
            if (id != nullptr) {
                auto it = self->slots_.find(id);
                if (it != self->slots_.end()) {
                    self->acked_[it->second] = ok;
                    self->slots_.erase(it);
                    --self->outstanding_;
                }
                auto d = self->detached_.find(id);
                if (d != self->detached_.end()) {
                    detached = std::move(d->second);
                    self->detached_.erase(d);
                }
            }
        }
        self->cv_.notify_all();
        if (detached) {
            if (ok) {
                self->published_.With({{"subject", natsMsg_GetSubject(msg)}}).Inc();
            } else {
                self->failed_.Inc();
            }
            detached(ok);
        }
        natsMsg_Destroy(msg);
    }

    Options options_;
    metrics::Family<metrics::Counter>& published_;
    metrics::Counter& failed_;
    jsCtx* js_ = nullptr;

    std::mutex batch_mu_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::unordered_map<std::string, std::size_t> slots_;
    // PublishAsync's envelopes awaiting their ack, by Nats-Msg-Id.
    std::unordered_map<std::string, std::function<void(bool)>> detached_;
    std::vector<bool> acked_;
    std::size_t outstanding_ = 0;
};

NatsPublisher::NatsPublisher(NatsConnection& connection,
                             metrics::Registry& metrics,
                             Options options)
    : impl_(std::make_unique<Impl>(connection, metrics, options)) {}

NatsPublisher::~NatsPublisher() = default;

bool NatsPublisher::PublishAsync(const Envelope& e, std::function<void(bool)> on_ack) {
    return impl_->PublishAsync(e, std::move(on_ack));
}

std::vector<bool> NatsPublisher::PublishBatch(std::span<const Envelope> batch) {
    return impl_->PublishBatch(batch);
}

}  // namespace ticketing::bus

#include "common/bus/stream_log.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {
namespace {

using namespace std::chrono_literals;

constexpr const char* kStream = "TICKETING";

std::string Header(natsMsg* msg, const char* name) {
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, name, &value) == NATS_OK && value != nullptr) {
        return value;
    }
    return "";
}

std::string TemporaryConsumerName() {
    std::random_device rd;
    std::uniform_int_distribution<unsigned> d;
    return "replay-" + std::to_string(d(rd)) + std::to_string(d(rd));
}

// Batches handed from the fetching thread to the caller's, at most `capacity` waiting.
class BatchQueue {
public:
    explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}

    void Push(std::vector<StoredEvent> batch) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return batches_.size() < capacity_ || cancelled_; });
        batches_.push_back(std::move(batch));
        cv_.notify_all();
    }
    // The next batch; nullopt once the fetcher closed the queue and every batch was taken.
    std::optional<std::vector<StoredEvent>> Pop() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !batches_.empty() || closed_; });
        if (batches_.empty()) {
            return std::nullopt;
        }
        auto batch = std::move(batches_.front());
        batches_.pop_front();
        cv_.notify_all();
        return batch;
    }
    void Close(std::exception_ptr error) {
        std::lock_guard lock(mu_);
        closed_ = true;
        error_ = error;
        cv_.notify_all();
    }
    // The caller gave up: the fetcher stops at its next batch.
    void Cancel() {
        std::lock_guard lock(mu_);
        cancelled_ = true;
        cv_.notify_all();
    }
    bool Cancelled() {
        std::lock_guard lock(mu_);
        return cancelled_;
    }
    void RethrowFetchError() {
        std::lock_guard lock(mu_);
        if (error_) {
            std::rethrow_exception(error_);
        }
    }

private:
    std::size_t capacity_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::vector<StoredEvent>> batches_;
    bool closed_ = false;
    bool cancelled_ = false;
    std::exception_ptr error_;
};

struct SubscriptionDeleter {
    void operator()(natsSubscription* s) const noexcept { natsSubscription_Destroy(s); }
};

}  // namespace

StreamExtent TicketingExtent(NatsConnection& connection) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, connection.handles().js, kStream, nullptr, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("reading the TICKETING stream's state", s, jerr));
    }
    StreamExtent extent{si->State.FirstSeq, si->State.LastSeq, si->State.Msgs};
    jsStreamInfo_Destroy(si);
    return extent;
}

std::uint64_t ReadAll(NatsConnection& connection,
                      std::uint64_t from_sequence,
                      std::size_t batch,
                      const std::function<void(std::span<const StoredEvent>)>& on_batch) {
    jsCtx* js = connection.handles().js;
    const StreamExtent extent = TicketingExtent(connection);
    if (extent.messages == 0 || extent.last_sequence < from_sequence) {
        return 0;
    }

    const std::string name = TemporaryConsumerName();
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = name.c_str();
    cc.AckPolicy = js_AckNone;
    cc.DeliverPolicy = js_DeliverByStartSequence;
    cc.OptStartSeq = from_sequence < 1 ? 1 : from_sequence;
    // If this process dies, the server forgets the consumer after a minute without pulls.
    cc.InactiveThreshold = ToNatsNanos(60s);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsConsumerInfo* ci = nullptr;
    natsStatus s = js_AddConsumer(&ci, js, kStream, &cc, nullptr, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("creating the replay consumer", s, jerr));
    }
    jsConsumerInfo_Destroy(ci);

    std::uint64_t read = 0;
    try {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = kStream;
        so.Consumer = name.c_str();
        natsSubscription* raw = nullptr;
        s = js_PullSubscribe(&raw, js, nullptr, name.c_str(), nullptr, &so, &jerr);
        if (s != NATS_OK) {
            throw BusError(NatsErrorText("binding to the replay consumer", s, jerr));
        }
        std::unique_ptr<natsSubscription, SubscriptionDeleter> sub(raw);

        // A fetching thread keeps a few batches ahead while the caller works on the current
        // one, so reading the stream and applying it overlap.
        BatchQueue queue(4);
        std::thread fetcher([&] {
            try {
                std::uint64_t last_seen = 0;
                int idle_fetches = 0;
                while (last_seen < extent.last_sequence && !queue.Cancelled()) {
                    natsMsgList list{nullptr, 0};
                    jsErrCode fetch_err = static_cast<jsErrCode>(0);
                    natsStatus fs = natsSubscription_Fetch(
                        &list, sub.get(), static_cast<int>(batch), 2000, &fetch_err);
                    if (fs == NATS_TIMEOUT) {
                        // Nothing more came: the messages up to the last sequence were deleted
                        // meanwhile (limits) or the server is slow; give up after a few pulls.
                        if (++idle_fetches >= 3) {
                            break;
                        }
                        continue;
                    }
                    if (fs != NATS_OK) {
                        throw BusError(NatsErrorText("reading the stream", fs, fetch_err));
                    }
                    idle_fetches = 0;
                    std::vector<StoredEvent> events;
                    events.reserve(static_cast<std::size_t>(list.Count));
                    for (int i = 0; i < list.Count; ++i) {
                        natsMsg* msg = list.Msgs[i];
                        jsMsgMetaData* meta = nullptr;
                        if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
                            continue;  // a status message, not an event
                        }
                        std::uint64_t seq = meta->Sequence.Stream;
                        jsMsgMetaData_Destroy(meta);
                        if (seq > extent.last_sequence) {
                            continue;  // published after the replay started: live durables have it
                        }
                        last_seen = seq;
                        if (!Header(msg, kRedriveForHeader).empty()) {
                            continue;  // a redriven copy: the original is in the log already
                        }
                        StoredEvent e;
                        e.sequence = seq;
                        e.subject = natsMsg_GetSubject(msg);
                        e.payload.assign(natsMsg_GetData(msg),
                                         static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
                        e.event_id = Header(msg, kMsgIdHeader);
                        e.occurred_at = Header(msg, kOccurredAtHeader);
                        e.traceparent = Header(msg, kTraceparentHeader);
                        events.push_back(std::move(e));
                    }
                    natsMsgList_Destroy(&list);
                    if (!events.empty()) {
                        queue.Push(std::move(events));
                    }
                }
                queue.Close(nullptr);
            } catch (...) {
                queue.Close(std::current_exception());
            }
        });
        try {
            while (auto events = queue.Pop()) {
                read += events->size();
                on_batch(*events);
            }
        } catch (...) {
            queue.Cancel();
            fetcher.join();
            throw;
        }
        fetcher.join();
        queue.RethrowFetchError();
    } catch (...) {
        js_DeleteConsumer(js, kStream, name.c_str(), nullptr, nullptr);
        throw;
    }
    js_DeleteConsumer(js, kStream, name.c_str(), nullptr, nullptr);
    return read;
}

std::vector<std::string> BoundConsumers(NatsConnection& connection, std::string_view queue_group) {
    std::vector<std::string> bound;
    for (const auto& subject : events::kAllSubjects) {
        std::string name = ConsumerName(queue_group, subject.name);
        jsConsumerInfo* ci = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s =
            js_GetConsumerInfo(&ci, connection.handles().js, kStream, name.c_str(), nullptr, &jerr);
        if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
            continue;
        }
        if (s != NATS_OK) {
            throw BusError(NatsErrorText(("reading consumer " + name).c_str(), s, jerr));
        }
        if (ci->PushBound) {
            bound.push_back(name);
        }
        jsConsumerInfo_Destroy(ci);
    }
    return bound;
}

}  // namespace ticketing::bus

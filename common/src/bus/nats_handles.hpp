// Internal to common/src/bus: the nats.c handles behind NatsConnection, their deleters, and the
// conversions of std::chrono values into the units nats.c wants (named, so no raw factor is
// ever written at a call site: AckWait and BackOff take nanoseconds, NakWithDelay milliseconds).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include <nats/nats.h>

#include "common/bus/connection.hpp"

namespace ticketing::bus {

inline std::int64_t ToNatsNanos(std::chrono::nanoseconds d) {
    return static_cast<std::int64_t>(d.count());
}
inline std::int64_t ToNatsMillis(std::chrono::milliseconds d) {
    return static_cast<std::int64_t>(d.count());
}

// "<what>: <nats status text> (<JetStream error code>)" for BusError messages.
std::string NatsErrorText(const char* what,
                          natsStatus s,
                          jsErrCode jerr = static_cast<jsErrCode>(0));

// Publishes `msg` to JetStream with Nats-Msg-Id `id` (the stream drops a second one within its
// duplicate window) and waits for the acknowledgement.
inline natsStatus PublishWithId(jsCtx* js, natsMsg* msg, const std::string& id, jsErrCode* jerr) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    jsPubAck* pa = nullptr;
    natsStatus s = js_PublishMsg(&pa, js, msg, &po, jerr);
    jsPubAck_Destroy(pa);
    return s;
}

struct NatsHandles {
    ConnectionOptions options;
    std::string masked_url;  // options.url with credentials masked: what logs show
    natsOptions* opts = nullptr;
    natsConnection* conn = nullptr;
    jsCtx* js = nullptr;
    // A second connection, for acknowledgements only, without send-asap: its flusher writes
    // what gathered within a millisecond in one write, where `conn` (send-asap, for the latency
    // of publishes) pays a send per ack (issue 20: 11-13% of a batched consume). Null when it
    // could not be made; Ack then uses `conn`. No callback of it refers to this object.
    natsOptions* ack_opts = nullptr;
    natsConnection* ack_conn = nullptr;

    // Acknowledges a JetStream delivery (positively), on ack_conn when there is one.
    natsStatus Ack(natsMsg* msg);

    mutable std::mutex mu;
    mutable std::condition_variable cv;
    std::atomic<bool> connected{false};
    std::atomic<bool> closing{false};  // a deliberate close: its disconnect is no warning
    bool closed = false;               // the library's closed callback ran (guarded by mu)

    ~NatsHandles();
};

}  // namespace ticketing::bus

#include "common/bus/connection.hpp"

#include <array>
#include <string>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"
#include "common/log/log.hpp"

#include "common/config/env.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {
namespace {

void OnDisconnected(natsConnection*, void* closure) {
    auto* h = static_cast<NatsHandles*>(closure);
    h->connected.store(false);
    if (!h->closing.load()) {
        log::Warn("bus disconnected, reconnecting", {{"url", h->masked_url}});
    }
}

// The library's last callback for a connection: after it, nothing refers to the handles.
void OnClosed(natsConnection*, void* closure) {
    auto* h = static_cast<NatsHandles*>(closure);
    {
        std::lock_guard lock(h->mu);
        h->closed = true;
    }
    h->cv.notify_all();
}

void OnReconnected(natsConnection*, void* closure) {
    auto* h = static_cast<NatsHandles*>(closure);
    {
        std::lock_guard lock(h->mu);
        h->connected.store(true);
    }
    h->cv.notify_all();
    log::Info("bus reconnected", {{"url", h->masked_url}});
}

// With RetryOnFailedConnect the first successful connect arrives here.
void OnConnected(natsConnection*, void* closure) {
    auto* h = static_cast<NatsHandles*>(closure);
    {
        std::lock_guard lock(h->mu);
        h->connected.store(true);
    }
    h->cv.notify_all();
    log::Info("bus connected", {{"url", h->masked_url}});
}

void OnAsyncError(natsConnection*, natsSubscription*, natsStatus err, void*) {
    log::Warn("bus asynchronous error", {{"error", natsStatus_GetText(err)}});
}

// The acknowledgement connection's first connect, when it had to wait for the server: nothing
// to do (the main connection logs the bus's state), but a callback makes the connect
// asynchronous instead of blocking.
void OnAckConnected(natsConnection*, void*) {}

void EnsureStream(jsCtx* js, jsStreamConfig& cfg);

// A file-stored stream of one subject, limits retention, `max_age` (0: forever), 2-minute
// duplicate window.
void EnsureOneSubjectStream(jsCtx* js,
                            const std::string& name,
                            const std::string& subject,
                            std::chrono::nanoseconds max_age,
                            int replicas) {
    const char* subjects[] = {subject.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Retention = js_LimitsPolicy;
    cfg.MaxAge = ToNatsNanos(max_age);
    cfg.Duplicates = ToNatsNanos(std::chrono::minutes(2));
    cfg.Replicas = replicas;
    EnsureStream(js, cfg);
}

// NATS_URL's servers (SplitServerUrls) into `opts`: a list when there are several, since nats.c
// 3.4's natsOptions_SetURL does not connect with one.
natsStatus SetServers(natsOptions* opts,
                      const std::vector<std::string>& servers,
                      const std::string& url) {
    if (servers.size() <= 1) {
        return natsOptions_SetURL(opts, url.c_str());
    }
    std::vector<const char*> list;
    for (const auto& server : servers) {
        list.push_back(server.c_str());
    }
    return natsOptions_SetServers(opts, list.data(), static_cast<int>(list.size()));
}

void Check(natsStatus s, const char* what) {
    if (s != NATS_OK) {
        throw BusError(NatsErrorText(what, s));
    }
}

void EnsureStream(jsCtx* js, jsStreamConfig& cfg) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsStreamInfo* si = nullptr;
    natsStatus s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        log::Info("stream created", {{"stream", cfg.Name}});
        return;
    }
    if (jerr != JSStreamNameExistErr) {
        throw BusError(NatsErrorText("creating stream", s, jerr));
    }
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, js, &cfg, nullptr, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("updating stream", s, jerr));
    }
    jsStreamInfo_Destroy(si);
}

}  // namespace

std::string NatsErrorText(const char* what, natsStatus s, jsErrCode jerr) {
    std::string text = std::string(what) + ": " + natsStatus_GetText(s);
    if (jerr != 0) {
        text += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
    }
    const char* last = nats_GetLastError(nullptr);
    if (last != nullptr && *last != '\0') {
        text += std::string(" - ") + last;
    }
    return text;
}

natsStatus NatsHandles::Ack(natsMsg* msg) {
    const char* reply = natsMsg_GetReply(msg);
    if (ack_conn == nullptr || reply == nullptr || natsConnection_IsClosed(ack_conn)) {
        return natsMsg_Ack(msg, nullptr);
    }
    // What natsMsg_Ack sends for a JetStream delivery, on the other connection.
    return natsConnection_PublishString(ack_conn, reply, "+ACK");
}

NatsHandles::~NatsHandles() {
    if (ack_conn != nullptr) {
        // Acknowledgements still in the flusher's buffer go out first (one that did not would
        // only be delivered again, and the inbox would see through it).
        if (natsConnection_Status(ack_conn) == NATS_CONN_STATUS_CONNECTED) {
            natsConnection_FlushTimeout(ack_conn, 1000);
        }
        natsConnection_Close(ack_conn);
        natsConnection_Destroy(ack_conn);
    }
    if (ack_opts != nullptr) {
        natsOptions_Destroy(ack_opts);
    }
    if (js != nullptr) {
        jsCtx_Destroy(js);
    }
    if (conn != nullptr) {
        closing.store(true);
        natsConnection_Close(conn);
        // Callbacks run on the library's own thread and point at this object: wait for the
        // closed callback, the last one, before the memory goes.
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::seconds(5), [this] { return closed; });
        lock.unlock();
        natsConnection_Destroy(conn);
    }
    if (opts != nullptr) {
        natsOptions_Destroy(opts);
    }
}

std::vector<std::string> SplitServerUrls(std::string_view urls) {
    std::vector<std::string> out;
    while (!urls.empty()) {
        auto comma = urls.find(',');
        std::string_view item = urls.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        urls.remove_prefix(comma + 1);
    }
    return out;
}

namespace {

// The acknowledgement connection (NatsHandles::ack_conn): the same servers and user, the
// library's flusher instead of send-asap, no callback that refers to the handles. Left null
// (acks then go on the main connection) when the library refuses.
void ConnectAcks(NatsHandles& h, const std::vector<std::string>& servers) {
    natsOptions* o = nullptr;
    if (natsOptions_Create(&o) != NATS_OK) {
        return;
    }
    h.ack_opts = o;
    natsStatus s = SetServers(o, servers, h.options.url);
    const std::string name = h.options.name + "-acks";
    if (s == NATS_OK) {
        s = natsOptions_SetName(o, name.c_str());
    }
    if (s == NATS_OK && !h.options.user.empty()) {
        s = natsOptions_SetUserInfo(o, h.options.user.c_str(), h.options.password.c_str());
    }
    if (s == NATS_OK) {
        s = natsOptions_SetMaxReconnect(o, -1);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectWait(o, ToNatsMillis(h.options.reconnect_wait));
    }
    if (s == NATS_OK) {
        s = natsOptions_SetErrorHandler(o, &OnAsyncError, nullptr);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetRetryOnFailedConnect(o, true, &OnAckConnected, nullptr);
    }
    if (s == NATS_OK) {
        s = natsConnection_Connect(&h.ack_conn, o);
    }
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
        log::Warn("bus: no connection of its own for acknowledgements, using the main one",
                  {{"error", natsStatus_GetText(s)}});
        if (h.ack_conn != nullptr) {
            natsConnection_Destroy(h.ack_conn);
            h.ack_conn = nullptr;
        }
    }
}

}  // namespace

NatsConnection::NatsConnection() : handles_(std::make_unique<NatsHandles>()) {}

NatsConnection::~NatsConnection() = default;

std::unique_ptr<NatsConnection> NatsConnection::Connect(const ConnectionOptions& options) {
    std::unique_ptr<NatsConnection> c(new NatsConnection());
    NatsHandles& h = *c->handles_;
    h.options = options;
    h.masked_url = config::MaskCredentials(options.url);
    Check(natsOptions_Create(&h.opts), "creating NATS options");
    std::vector<std::string> servers = SplitServerUrls(options.url);
    Check(SetServers(h.opts, servers, options.url), "setting NATS_URL");
    Check(natsOptions_SetName(h.opts, options.name.c_str()), "setting connection name");
    // Write each publish, nak and pull at once instead of after the flusher's 1 ms wait: an
    // event's latency was landing on 1 ms ticks (issue 20). Positive acks, which wait for
    // nothing, go on the acknowledgement connection instead (ConnectAcks).
    Check(natsOptions_SetSendAsap(h.opts, true), "setting send-asap");
    if (!options.user.empty()) {
        Check(natsOptions_SetUserInfo(h.opts, options.user.c_str(), options.password.c_str()),
              "setting the NATS user");
    }
    // Never give up: the default stops after about two minutes (DESIGN.md section 5).
    Check(natsOptions_SetMaxReconnect(h.opts, -1), "setting unlimited reconnects");
    Check(natsOptions_SetReconnectWait(h.opts, ToNatsMillis(options.reconnect_wait)),
          "setting reconnect wait");
    Check(natsOptions_SetReconnectJitter(h.opts, 100, 1000), "setting reconnect jitter");
    // Publishes made while reconnecting are buffered up to this size.
    Check(natsOptions_SetReconnectBufSize(h.opts, 32 * 1024 * 1024), "setting reconnect buffer");
    Check(natsOptions_SetDisconnectedCB(h.opts, &OnDisconnected, &h), "setting callbacks");
    Check(natsOptions_SetReconnectedCB(h.opts, &OnReconnected, &h), "setting callbacks");
    Check(natsOptions_SetErrorHandler(h.opts, &OnAsyncError, &h), "setting callbacks");
    Check(natsOptions_SetClosedCB(h.opts, &OnClosed, &h), "setting callbacks");
    // Start even when the server is not up yet; the connect callback says when it is.
    Check(natsOptions_SetRetryOnFailedConnect(h.opts, true, &OnConnected, &h),
          "setting retry on failed connect");

    natsStatus s = natsConnection_Connect(&h.conn, h.opts);
    if (s == NATS_OK) {
        h.connected.store(true);
    } else if (s != NATS_NOT_YET_CONNECTED) {
        throw BusError(NatsErrorText("connecting to NATS", s));
    } else {
        log::Warn("bus not reachable yet, retrying in the background", {{"url", h.masked_url}});
    }
    Check(natsConnection_JetStream(&h.js, h.conn, nullptr), "creating JetStream context");
    ConnectAcks(h, servers);
    if (options.initial_wait.count() > 0) {
        c->WaitConnected(options.initial_wait);
    }
    return c;
}

bool NatsConnection::IsConnected() const {
    return handles_->conn != nullptr &&
           natsConnection_Status(handles_->conn) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsConnection::WaitConnected(std::chrono::milliseconds deadline) const {
    std::unique_lock lock(handles_->mu);
    handles_->cv.wait_for(lock, deadline, [this] { return IsConnected(); });
    return IsConnected();
}

void NatsConnection::EnsureStreams() {
    if (!WaitConnected(std::chrono::seconds(0))) {
        throw BusError("cannot provision streams: not connected to " + handles_->masked_url);
    }
    std::array<const char*, events::kAllSubjects.size()> subjects{};
    std::array<std::string, events::kAllSubjects.size()> storage;
    for (std::size_t i = 0; i < events::kAllSubjects.size(); ++i) {
        storage[i] = std::string(events::kAllSubjects[i].name);
        subjects[i] = storage[i].c_str();
    }
    const std::string stream_name(kStreamName);
    jsStreamConfig main;
    jsStreamConfig_Init(&main);
    main.Name = stream_name.c_str();
    main.Subjects = subjects.data();
    main.SubjectsLen = static_cast<int>(subjects.size());
    main.Storage = js_FileStorage;
    main.Retention = js_LimitsPolicy;
    main.MaxAge = 0;  // the log is the system's history: never expires
    main.Duplicates = ToNatsNanos(std::chrono::minutes(2));
    main.Replicas = handles_->options.stream_replicas;
    EnsureStream(handles_->js, main);

    // Dead letters are kept until an operator handles them.
    EnsureOneSubjectStream(handles_->js,
                           std::string(kDeadLetterStreamName),
                           "deadletter.>",
                           std::chrono::nanoseconds(0),
                           handles_->options.stream_replicas);
    // Revoked sessions: kept a year (the longest SESSION_TTL_SECONDS), read whole by every
    // process that checks sessions (service::ServiceBuilder's revocation feed).
    EnsureOneSubjectStream(handles_->js,
                           std::string(kSessionsStreamName),
                           std::string(events::kSessionRevoked.name),
                           std::chrono::hours(24 * 366),
                           handles_->options.stream_replicas);
}

std::optional<std::uint64_t> NatsConnection::AcknowledgementsSent() const {
    if (handles_->ack_conn == nullptr) {
        return std::nullopt;
    }
    natsStatistics* stats = nullptr;
    if (natsStatistics_Create(&stats) != NATS_OK) {
        return std::nullopt;
    }
    std::uint64_t out_msgs = 0;
    natsStatus s = natsConnection_GetStats(handles_->ack_conn, stats);
    if (s == NATS_OK) {
        s = natsStatistics_GetCounts(stats, nullptr, nullptr, &out_msgs, nullptr, nullptr);
    }
    natsStatistics_Destroy(stats);
    if (s != NATS_OK) {
        return std::nullopt;
    }
    return out_msgs;
}

const ConnectionOptions& NatsConnection::options() const {
    return handles_->options;
}

NatsHandles& NatsConnection::handles() {
    return *handles_;
}

}  // namespace ticketing::bus

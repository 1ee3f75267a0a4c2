#include "common/testing/stream_reader.hpp"

#include <memory>
#include <stdexcept>

#include <nats/nats.h>

namespace ticketing::test {
namespace {

struct Conn {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    explicit Conn(const std::string& url) {
        if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) {
            throw std::runtime_error("cannot connect to " + url);
        }
        if (natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) {
            throw std::runtime_error("no JetStream context");
        }
    }
    ~Conn() {
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
    }
};

}  // namespace

std::vector<StoredMessage> ReadStream(const std::string& nats_url, const std::string& stream) {
    Conn c(nats_url);
    std::vector<StoredMessage> out;
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, c.js, stream.c_str(), nullptr, nullptr) != NATS_OK) {
        return out;
    }
    std::uint64_t first = si->State.FirstSeq;
    std::uint64_t last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    for (std::uint64_t seq = first; seq != 0 && seq <= last; ++seq) {
        natsMsg* msg = nullptr;
        if (js_GetMsg(&msg, c.js, stream.c_str(), seq, nullptr, nullptr) != NATS_OK) {
            continue;  // deleted
        }
        StoredMessage m;
        m.sequence = seq;
        m.subject = natsMsg_GetSubject(msg);
        m.payload.assign(natsMsg_GetData(msg),
                         static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
        const char** keys = nullptr;
        int count = 0;
        if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
            for (int i = 0; i < count; ++i) {
                const char* v = nullptr;
                if (natsMsgHeader_Get(msg, keys[i], &v) == NATS_OK && v != nullptr) {
                    m.headers[keys[i]] = v;
                }
            }
            free(static_cast<void*>(keys));
        }
        natsMsg_Destroy(msg);
        out.push_back(std::move(m));
    }
    return out;
}

namespace {

// `read` applied to the durable consumer's info; -1 if it cannot be read.
template <class Read>
std::int64_t FromConsumerInfo(const std::string& nats_url,
                              const std::string& stream,
                              const std::string& consumer,
                              Read read) {
    Conn c(nats_url);
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, c.js, stream.c_str(), consumer.c_str(), nullptr, nullptr) !=
        NATS_OK) {
        return -1;
    }
    std::int64_t value = read(*ci);
    jsConsumerInfo_Destroy(ci);
    return value;
}

}  // namespace

std::int64_t ConsumerBacklog(const std::string& nats_url,
                             const std::string& stream,
                             const std::string& consumer) {
    return FromConsumerInfo(nats_url, stream, consumer, [](const jsConsumerInfo& ci) {
        return static_cast<std::int64_t>(ci.NumPending) + static_cast<std::int64_t>(ci.NumAckPending);
    });
}

std::int64_t ConsumerUndelivered(const std::string& nats_url,
                                 const std::string& stream,
                                 const std::string& consumer) {
    return FromConsumerInfo(nats_url, stream, consumer, [](const jsConsumerInfo& ci) {
        return static_cast<std::int64_t>(ci.NumPending);
    });
}

std::int64_t ConsumerRedelivered(const std::string& nats_url,
                                 const std::string& stream,
                                 const std::string& consumer) {
    return FromConsumerInfo(nats_url, stream, consumer, [](const jsConsumerInfo& ci) {
        return static_cast<std::int64_t>(ci.NumRedelivered);
    });
}

std::vector<StoredMessage> ReadSubject(const std::string& nats_url,
                                       const std::string& stream,
                                       const std::string& subject) {
    std::vector<StoredMessage> out;
    for (auto& m : ReadStream(nats_url, stream)) {
        if (m.subject == subject) {
            out.push_back(std::move(m));
        }
    }
    return out;
}

}  // namespace ticketing::test

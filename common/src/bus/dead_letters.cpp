#include "common/bus/dead_letters.hpp"

#include <chrono>
#include <cstdlib>

#include "common/bus/bus.hpp"
#include "common/bus/connection.hpp"
#include "common/util/clock.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {
namespace {

const std::string kDlq(kDeadLetterStreamName);

struct MsgDeleter {
    void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

std::string Find(const DeadLetter& d, const std::string& name) {
    for (const auto& [k, v] : d.headers) {
        if (k == name) {
            return v;
        }
    }
    return "";
}

DeadLetter FromMsg(std::uint64_t id, natsMsg* msg) {
    DeadLetter d;
    d.id = id;
    const char** keys = nullptr;
    int count = 0;
    if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
        for (int i = 0; i < count; ++i) {
            const char** values = nullptr;
            int n = 0;
            if (natsMsgHeader_Values(msg, keys[i], &values, &n) == NATS_OK) {
                for (int j = 0; j < n; ++j) {
                    d.headers.emplace_back(keys[i], values[j]);
                }
                free(static_cast<void*>(values));
            }
        }
        free(static_cast<void*>(keys));
    }
    d.payload.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    d.subject = Find(d, kOriginalSubjectHeader);
    d.consumer = Find(d, kConsumerHeader);
    if (d.consumer.empty()) {
        // Dead letters written before the consumer had a header of its own: its message id is
        // dlq-<consumer>-<original sequence>.
        std::string id_header = Find(d, kMsgIdHeader);
        auto dash = id_header.rfind('-');
        if (id_header.starts_with("dlq-") && dash != std::string::npos && dash > 4) {
            d.consumer = id_header.substr(4, dash - 4);
        }
    }
    d.reason = Find(d, kDeadLetterReasonHeader);
    d.event_id = Find(d, "Ticketing-Original-Msg-Id");
    std::string traceparent = Find(d, kTraceparentHeader);
    if (traceparent.size() >= 35) {
        d.trace_id = traceparent.substr(3, 32);
    }
    std::int64_t ns = natsMsg_GetTime(msg);
    if (ns > 0) {
        d.time = util::FormatIso8601(util::TimePoint(std::chrono::duration_cast<util::TimePoint::duration>(
            std::chrono::nanoseconds(ns))));
    }
    return d;
}

// The message at `seq`, or null when the stream has none there (deleted or purged).
MsgPtr Get(jsCtx* js, std::uint64_t seq) {
    natsMsg* msg = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetMsg(&msg, js, kDlq.c_str(), seq, nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
        return nullptr;
    }
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("reading a dead letter", s, jerr));
    }
    return MsgPtr(msg);
}

}  // namespace

std::vector<DeadLetter> ListDeadLetters(NatsConnection& connection) {
    jsCtx* js = connection.handles().js;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js, kDlq.c_str(), nullptr, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("reading the dead-letter stream's state", s, jerr));
    }
    std::uint64_t first = si->State.FirstSeq;
    std::uint64_t last = si->State.LastSeq;
    std::uint64_t count = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    std::vector<DeadLetter> out;
    if (count == 0) {
        return out;
    }
    for (std::uint64_t seq = first; seq <= last && out.size() < count; ++seq) {
        if (auto msg = Get(js, seq)) {
            out.push_back(FromMsg(seq, msg.get()));
        }
    }
    return out;
}

std::optional<DeadLetter> FindDeadLetter(NatsConnection& connection, std::uint64_t id) {
    if (auto msg = Get(connection.handles().js, id)) {
        return FromMsg(id, msg.get());
    }
    return std::nullopt;
}

void Redrive(NatsConnection& connection, const DeadLetter& letter) {
    if (letter.subject.empty() || letter.consumer.empty()) {
        throw BusError("dead letter " + std::to_string(letter.id) +
                       " names no subject or consumer: it cannot be redriven");
    }
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw,
                                  letter.subject.c_str(),
                                  nullptr,
                                  letter.payload.data(),
                                  static_cast<int>(letter.payload.size()));
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("building the redriven event", s));
    }
    MsgPtr msg(raw);
    // The event's own metadata goes again; what the dead letter added does not.
    for (const auto& [k, v] : letter.headers) {
        if (k == kOccurredAtHeader || k == kTraceparentHeader) {
            natsMsgHeader_Add(msg.get(), k.c_str(), v.c_str());
        }
    }
    natsMsgHeader_Set(msg.get(), kRedriveForHeader, letter.consumer.c_str());
    natsMsgHeader_Set(msg.get(),
                      kEventIdHeader,
                      (letter.event_id.empty() ? "dlq-" + std::to_string(letter.id)
                                               : letter.event_id)
                          .c_str());
    // One redrive per dead letter reaches the stream, however often this is repeated meanwhile.
    std::string id = "redrive-" + letter.consumer + "-" + std::to_string(letter.id);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = PublishWithId(connection.handles().js, msg.get(), id, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText("publishing the redriven event", s, jerr));
    }
    Purge(connection, letter.id);
}

void Purge(NatsConnection& connection, std::uint64_t id) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteMsg(connection.handles().js, kDlq.c_str(), id, nullptr, &jerr);
    if (s != NATS_OK) {
        throw BusError(NatsErrorText(("removing dead letter " + std::to_string(id)).c_str(), s, jerr));
    }
}

}  // namespace ticketing::bus

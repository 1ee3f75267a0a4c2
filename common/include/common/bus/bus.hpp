// The bus vocabulary shared by publishers, listeners, the outbox and the fakes (DESIGN.md
// section 5): the envelope an event travels in, what a listener learns about a delivery, and the
// decision a handler returns. No nats.c type appears here or in any public bus header.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/events/events.hpp"
#include "common/util/clock.hpp"

namespace ticketing::bus {

inline constexpr std::string_view kStreamName = "TICKETING";
inline constexpr std::string_view kDeadLetterStreamName = "TICKETING_DLQ";
inline constexpr std::string_view kSessionsStreamName = "TICKETING_SESSIONS";

// Header names (metadata travels in NATS headers, never in the payload).
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";
inline constexpr const char* kOccurredAtHeader = "Ticketing-Occurred-At";
inline constexpr const char* kTraceparentHeader = "traceparent";
inline constexpr const char* kDeadLetterReasonHeader = "Ticketing-Dead-Letter-Reason";
inline constexpr const char* kOriginalSubjectHeader = "Ticketing-Original-Subject";
inline constexpr const char* kOriginalSequenceHeader = "Ticketing-Original-Sequence";
// The durable that dead-lettered an event (on its dead letter).
inline constexpr const char* kConsumerHeader = "Ticketing-Consumer";
// A redriven event: the only consumer that handles it, and its original event id.
inline constexpr const char* kRedriveForHeader = "Ticketing-Redrive-For";
inline constexpr const char* kEventIdHeader = "Ticketing-Event-Id";

// One event ready to publish: subject, JSON payload and its headers.
struct Envelope {
    std::string subject;
    std::string payload;
    std::string event_id;     // Nats-Msg-Id: the server drops a second publish within 2 min
    std::string occurred_at;  // ISO-8601
    std::string traceparent;  // W3C, may be empty
};

// An outbox row a transaction wrote: its id (SQLite: in commit order) and its event.
struct OutboxRow {
    long long id = 0;
    Envelope envelope;
};

// Where an event comes from: the request or the event that caused it.
struct EventContext {
    std::string traceparent;
    util::TimePoint occurred_at;
};

template <events::EventType E>
Envelope MakeEnvelope(const E& event, std::string event_id, const EventContext& ctx) {
    return Envelope{std::string(E::kSubject.name),
                    events::Encode(event),
                    std::move(event_id),
                    util::FormatIso8601(ctx.occurred_at),
                    ctx.traceparent};
}

// A fresh unique event id (32 lowercase hex characters): the milliseconds since the epoch as 12
// hex digits, then 80 random bits. Ids made later sort later, so the rows every consumer adds to
// its inbox (primary key: consumer, event id) land at the end of the B-tree instead of on a random
// page each (issue 20: a batch of random ids rewrote about one 4 KiB page per event).
std::string NewEventId();

// What a listener's handler decides about one delivery.
enum class AckDecision {
    kAck,         // handled (or a duplicate): done
    kRetry,       // not applicable yet (a version gap) or a passing failure: deliver again later
    kDeadLetter,  // can never be handled: park it on deadletter.<subject>
};

std::string_view ToString(AckDecision d);

// What a handler learns about a delivery besides the event.
struct MessageMeta {
    std::string subject;
    std::string event_id;  // Nats-Msg-Id; falls back to "<stream>-<sequence>" when absent
    std::uint64_t stream_sequence = 0;
    std::uint64_t num_delivered = 1;  // 1 on the first delivery
    std::string traceparent;
    std::string occurred_at;
    std::string consumer;  // durable name, e.g. orders-service-ticket-updated
};

// Thrown by a batch handler (EventSubscriber::SubscribeBatch) that cannot decide the batch as a
// whole: the subscriber then hands it the batch's events one at a time.
struct SplitBatch {};

// The durable consumer of a (queue group, subject): "<group>-<subject with ':' → '-'>".
std::string ConsumerName(std::string_view queue_group, std::string_view subject);

// Redelivery delay after the n-th "not yet" delivery: 50 ms doubling, at most 5 s.
std::chrono::milliseconds RetryDelay(std::uint64_t num_delivered);

// Redelivery delay after the n-th transient failure (a dependency down while the service still
// reports ready, e.g. the payment gateway): 50 ms doubling, at most `cap`.
std::chrono::milliseconds TransientRetryDelay(std::uint64_t num_delivered,
                                              std::chrono::milliseconds cap);

}  // namespace ticketing::bus

// Listening (DESIGN.md section 5): EventSubscriber is the port services register typed handlers
// on; NatsSubscriber binds each (queue group, subject) to one durable JetStream push consumer
// shared by every replica, with manual acks and bounded retries:
//   kAck → ack; kRetry → nak with a growing delay; kDeadLetter, an undecodable payload or the
//   last allowed delivery → the raw message, its headers and the reason go to
//   deadletter.<subject>, then the message is terminated. Nothing is dropped silently.
// A handler that throws is treated as kRetry (the exception is logged): a database that is
// briefly down must not dead-letter events.
// Thread-safety: Subscribe from one thread during startup. Each consumer's handler runs on one
// library thread at a time; different consumers run concurrently. The subscriber must be
// destroyed before the NatsConnection and before anything its handlers use (keep it the last
// member: "subscriptions must be the last fields").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

namespace ticketing::metrics {
class Registry;
}

namespace ticketing::bus {

class NatsConnection;

struct HandlerResult {
    AckDecision decision = AckDecision::kAck;
    std::string reason;  // why, for dead letters and logs
};

using RawHandler = std::function<HandlerResult(std::string_view payload, const MessageMeta&)>;

template <class E>
using Handler = std::function<AckDecision(const E&, const MessageMeta&)>;

// Decodes, calls the handler, and maps failures: DecodeError → kDeadLetter, a throw → kRetry.
template <events::EventType E>
RawHandler MakeRawHandler(Handler<E> handler);

class EventSubscriber {
public:
    virtual ~EventSubscriber() = default;

    template <events::EventType E>
    void Subscribe(Handler<E> handler) {
        SubscribeRaw(E::kSubject, MakeRawHandler<E>(std::move(handler)));
    }

    virtual void SubscribeRaw(events::Subject subject, RawHandler handler) = 0;
};

struct SubscriberOptions {
    std::string queue_group;        // e.g. "orders-service"
    std::int64_t max_deliver = 20;  // NATS_MAX_DELIVER
    std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
    std::int64_t max_ack_pending = 1000;
};

class NatsSubscriber final : public EventSubscriber {
public:
    NatsSubscriber(NatsConnection& connection,
                   SubscriberOptions options,
                   metrics::Registry& metrics);
    // Destroys the subscriptions without unsubscribing, so the durables survive for the other
    // replicas and the next start; waits for running handlers to return.
    ~NatsSubscriber() override;

    // Creates or updates the durable consumer, then binds to it. Throws BusError.
    void SubscribeRaw(events::Subject subject, RawHandler handler) override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- implementation of the template ----

HandlerResult RunDecoded(const std::function<AckDecision()>& call);

template <events::EventType E>
RawHandler MakeRawHandler(Handler<E> handler) {
    return [h = std::move(handler)](std::string_view payload, const MessageMeta& meta) {
        E event;
        try {
            event = events::Decode<E>(payload);
        } catch (const events::DecodeError& e) {
            return HandlerResult{AckDecision::kDeadLetter, std::string("undecodable: ") + e.what()};
        }
        return RunDecoded([&] { return h(event, meta); });
    };
}

}  // namespace ticketing::bus

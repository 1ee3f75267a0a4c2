// Listening (DESIGN.md section 5): EventSubscriber is the port services register typed handlers
// on; NatsSubscriber binds each (queue group, subject) to one durable JetStream push consumer
// shared by every replica, with manual acks. Retries tell transient from poison:
//   kAck → ack.
//   kRetry ("not yet", e.g. version N before N-1) → nak with a growing delay (50 ms to 5 s);
//     dead-lettered only once the event is older than the retry horizon (default 1 h), with a
//     reason naming the version it waited for.
//   a handler that throws ("dependency down": database, Redis, gateway) → never dead-lettered,
//     however long the outage. While the service's dependencies report not ready, the listener
//     holds the delivery (extending its ack deadline), takes no new one on that consumer, and
//     tries again as soon as they are back: no redelivery storm, prompt recovery. A failure
//     while they report ready (a gateway 5xx) → nak with a delay doubling up to 30 s.
//   kDeadLetter, or an undecodable payload → at once: the raw message, its headers and the
//     reason go to deadletter.<subject>, then the message is terminated.
// The server-side MaxDeliver is unlimited, so the server never gives up on an event by itself:
// these rules, which depend only on the message (its age) and the service, decide; they hold
// across restarts and on a JetStream cluster. Nothing is dropped silently.
// Thread-safety: Subscribe from one thread during startup. Each consumer's handler runs on one
// library thread at a time; different consumers run concurrently. The subscriber must be
// destroyed before the NatsConnection and before anything its handlers use (keep it the last
// member: "subscriptions must be the last fields").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

namespace ticketing::metrics {
class Registry;
}

namespace ticketing::bus {

class NatsConnection;

struct HandlerResult {
    AckDecision decision = AckDecision::kAck;
    std::string reason;      // why, for dead letters and logs
    bool transient = false;  // kRetry because a dependency failed (the handler threw)
};

using RawHandler = std::function<HandlerResult(std::string_view payload, const MessageMeta&)>;

template <class E>
using Handler = std::function<AckDecision(const E&, const MessageMeta&)>;

// Batches: a consumer whose handler pays one round trip per event (a Redis call, a database
// transaction) can take every delivery already waiting in this process at once, up to a limit,
// and pay that round trip once (a pipeline, one transaction). A batch is whatever is queued
// when the handler is free: one event when the consumer keeps up, many while a backlog drains.
struct RawDelivery {
    std::string_view payload;
    const MessageMeta* meta = nullptr;
};
// One result per delivery, in order. The subscriber settles each one as it would a single
// event's; a transient failure is tried again on its own (held while the dependencies are down,
// retried in place, then handed back), so a batch handler may simply throw when its round trip
// failed.
using RawBatchHandler = std::function<std::vector<HandlerResult>(std::span<const RawDelivery>)>;
// The decoded events, and their metadata at the same index; one decision per event, in order.
template <class E>
using BatchHandler =
    std::function<std::vector<AckDecision>(std::span<const E>, std::span<const MessageMeta>)>;

// Decodes, calls the handler, and maps failures: DecodeError → kDeadLetter, a throw → a transient
// kRetry. A "not yet" kRetry of a versioned event says which version it waits for.
template <events::EventType E>
RawHandler MakeRawHandler(Handler<E> handler);

// The same for a batch: an undecodable event is dead-lettered alone, a throw makes every
// decodable event of the batch a transient kRetry, and bus::SplitBatch hands the handler the
// batch's events one at a time.
template <events::EventType E>
RawBatchHandler MakeRawBatchHandler(BatchHandler<E> handler);

class EventSubscriber {
public:
    virtual ~EventSubscriber() = default;

    template <events::EventType E>
    void Subscribe(Handler<E> handler) {
        SubscribeRaw(E::kSubject, MakeRawHandler<E>(std::move(handler)));
    }

    virtual void SubscribeRaw(events::Subject subject, RawHandler handler) = 0;

    // Batches of at most max_batch deliveries (see RawBatchHandler).
    template <events::EventType E>
    void SubscribeBatch(BatchHandler<E> handler, std::size_t max_batch) {
        SubscribeRawBatch(E::kSubject, MakeRawBatchHandler<E>(std::move(handler)), max_batch);
    }
    // The default hands the handler one delivery at a time (what a fake bus needs); the NATS
    // subscriber batches.
    virtual void SubscribeRawBatch(events::Subject subject,
                                   RawBatchHandler handler,
                                   std::size_t max_batch);
};

struct SubscriberOptions {
    std::string queue_group;  // e.g. "orders-service"
    // A "not yet" event older than this is dead-lettered (NATS_RETRY_HORIZON_SECONDS).
    std::chrono::seconds retry_horizon{std::chrono::hours(1)};
    // The longest delay between two deliveries of an event whose handler failed while the
    // dependencies reported ready.
    std::chrono::milliseconds transient_backoff_cap{std::chrono::seconds(30)};
    // The service's readiness less the bus (its database, Redis): while it answers false after a
    // handler failed, the delivery is held. Empty: always ready.
    std::function<bool()> dependencies_ready;
    // A handler failure caused by a dependency (transient) while dependencies_ready answers
    // true is tried again in place this many times, after in_place_retry_pause and then twice
    // that each time, before the delivery goes back to the server with a backoff.
    int in_place_retries = 2;
    std::chrono::milliseconds in_place_retry_pause{std::chrono::milliseconds(100)};
    // How often a held delivery asks dependencies_ready again.
    std::chrono::milliseconds ready_poll{std::chrono::milliseconds(200)};
    std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
    std::int64_t max_ack_pending = 1000;
};

class NatsSubscriber final : public EventSubscriber {
public:
    NatsSubscriber(NatsConnection& connection,
                   SubscriberOptions options,
                   metrics::Registry& metrics);
    // Stops every subscription's deliveries (the durables stay, for the other replicas and the
    // next start), then waits without a time limit until each handler has returned for the
    // last time: what the handlers use may be destroyed once this returns.
    ~NatsSubscriber() override;

    // Creates or updates the durable consumer, then binds to it. Throws BusError.
    void SubscribeRaw(events::Subject subject, RawHandler handler) override;
    void SubscribeRawBatch(events::Subject subject,
                           RawBatchHandler handler,
                           std::size_t max_batch) override;

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
        HandlerResult r = RunDecoded([&] { return h(event, meta); });
        if constexpr (requires { event.version; event.id; }) {
            if (r.decision == AckDecision::kRetry && !r.transient) {
                // The version rule (DESIGN.md section 5): version N waits for N-1.
                r.reason = event.version > 0
                               ? "waiting for version " + std::to_string(event.version - 1) +
                                     " of " + std::string(E::kSubject.name) + " " + event.id
                               : "not applicable yet: " + std::string(E::kSubject.name) + " " +
                                     event.id;
            }
        }
        return r;
    };
}

// A decision that needs no handler message (a batch's).
inline HandlerResult Decided(AckDecision d) {
    return {d, d == AckDecision::kDeadLetter ? "rejected by handler" : ""};
}

template <events::EventType E>
RawBatchHandler MakeRawBatchHandler(BatchHandler<E> handler) {
    return [h = std::move(handler)](std::span<const RawDelivery> batch) {
        std::vector<HandlerResult> results(batch.size());
        std::vector<E> events;
        std::vector<MessageMeta> metas;
        std::vector<std::size_t> index;
        events.reserve(batch.size());
        metas.reserve(batch.size());
        index.reserve(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            try {
                events.push_back(events::Decode<E>(batch[i].payload));
            } catch (const events::DecodeError& e) {
                results[i] = {AckDecision::kDeadLetter, std::string("undecodable: ") + e.what()};
                continue;
            }
            metas.push_back(*batch[i].meta);
            index.push_back(i);
        }
        if (events.empty()) {
            return results;
        }
        std::vector<AckDecision> decisions;
        if (events.size() > 1) {
            try {
                HandlerResult failure = RunDecoded([&] {
                    decisions =
                        h(std::span<const E>(events), std::span<const MessageMeta>(metas));
                    return AckDecision::kAck;
                });
                if (failure.transient || decisions.size() == events.size()) {
                    for (std::size_t k = 0; k < index.size(); ++k) {
                        results[index[k]] = failure.transient ? failure
                                                              : Decided(decisions[k]);
                    }
                    return results;
                }
            } catch (const SplitBatch&) {
            }
            // Split (or a handler that lost count): one event at a time, below.
        }
        for (std::size_t k = 0; k < index.size(); ++k) {
            results[index[k]] = RunDecoded([&] {
                std::vector<AckDecision> one;
                try {
                    one = h(std::span<const E>(&events[k], 1),
                            std::span<const MessageMeta>(&metas[k], 1));
                } catch (const SplitBatch&) {
                }
                if (one.size() != 1) {
                    throw std::logic_error("a batch handler did not decide a batch of one");
                }
                return one.front();
            });
        }
        return results;
    };
}

}  // namespace ticketing::bus

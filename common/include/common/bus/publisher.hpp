// EventPublisher: the port through which events leave a process. The outbox relay and the
// expiration worker use it; handlers never do (they write to the outbox). NatsPublisher is the
// JetStream implementation; tests use ticketing::test::FakeBus.
// Thread-safety: implementations are safe from any thread; NatsPublisher serialises batches.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/bus/bus.hpp"

namespace ticketing::metrics {
class Registry;
}

namespace ticketing::bus {

class NatsConnection;

class EventPublisher {
public:
    virtual ~EventPublisher() = default;
    // Publishes the envelopes in order and waits for JetStream's acknowledgements. Returns one
    // flag per envelope: true once the stream stored it (or dropped it as a duplicate). Never
    // throws for bus trouble: unacknowledged envelopes come back false, to be retried.
    virtual std::vector<bool> PublishBatch(std::span<const Envelope> batch) = 0;

    // One envelope; true when acknowledged.
    bool Publish(const Envelope& e) { return PublishBatch(std::span(&e, 1)).front(); }

    // Publishes one envelope without waiting: `on_ack(true)` once the stream stored it (or
    // dropped it as a duplicate), `on_ack(false)` if it refused it, on a thread of the
    // publisher's (or, in this default, before returning). Returns false, without calling
    // on_ack, when the envelope could not even be sent. Ordered with the other calls of one
    // thread. Never throws for bus trouble.
    virtual bool PublishAsync(const Envelope& e, std::function<void(bool)> on_ack) {
        on_ack(Publish(e));
        return true;
    }
};

class NatsPublisher final : public EventPublisher {
public:
    struct Options {
        std::size_t max_in_flight = 1024;  // async publishes awaiting their ack
        std::chrono::milliseconds ack_timeout{std::chrono::seconds(5)};
    };

    NatsPublisher(NatsConnection& connection, metrics::Registry& metrics, Options options);
    NatsPublisher(NatsConnection& connection, metrics::Registry& metrics)
        : NatsPublisher(connection, metrics, Options{}) {}
    ~NatsPublisher() override;

    std::vector<bool> PublishBatch(std::span<const Envelope> batch) override;
    bool PublishAsync(const Envelope& e, std::function<void(bool)> on_ack) override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::bus

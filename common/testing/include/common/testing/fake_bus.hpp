// FakeBus: an in-memory EventPublisher and EventSubscriber for unit tests of handlers and
// services. It records what is published (typed access via Published<E>()), delivers events to
// registered handlers on demand (Deliver), and can fail the next publishes (FailNextPublish).
// Thread-safety: safe from any thread; handlers run on the thread that calls Deliver.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"

namespace ticketing::test {

// The events of type E among `envelopes`, decoded, in their order.
template <events::EventType E>
std::vector<E> EventsOf(const std::vector<bus::Envelope>& envelopes) {
    std::vector<E> out;
    for (const auto& e : envelopes) {
        if (e.subject == E::kSubject.name) {
            out.push_back(events::Decode<E>(e.payload));
        }
    }
    return out;
}

class FakeBus final : public bus::EventPublisher, public bus::EventSubscriber {
public:
    std::vector<bool> PublishBatch(std::span<const bus::Envelope> batch) override;
    void SubscribeRaw(events::Subject subject, bus::RawHandler handler) override;

    // The next n envelopes offered are refused (returned false and not recorded).
    void FailNextPublish(int n = 1);

    std::vector<bus::Envelope> Envelopes() const;
    template <events::EventType E>
    std::vector<E> Published() const {
        return EventsOf<E>(Envelopes());
    }
    void Clear();

    // Runs the handler registered for E's subject; kAck when none is registered would hide a
    // wiring bug, so that throws std::logic_error instead.
    template <events::EventType E>
    bus::HandlerResult Deliver(const E& event, bus::MessageMeta meta = {}) {
        return DeliverRaw(E::kSubject, events::Encode(event), std::move(meta));
    }
    bus::HandlerResult DeliverRaw(events::Subject subject,
                                  const std::string& payload,
                                  bus::MessageMeta meta);

private:
    mutable std::mutex mu_;
    std::vector<bus::Envelope> published_;
    std::map<std::string, bus::RawHandler, std::less<>> handlers_;
    int fail_next_ = 0;
    std::uint64_t sequence_ = 0;
};

}  // namespace ticketing::test

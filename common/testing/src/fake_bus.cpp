#include "common/testing/fake_bus.hpp"

#include <stdexcept>

namespace ticketing::test {

std::vector<bool> FakeBus::PublishBatch(std::span<const bus::Envelope> batch) {
    std::lock_guard lock(mu_);
    std::vector<bool> acked;
    acked.reserve(batch.size());
    for (const auto& e : batch) {
        if (fail_next_ > 0) {
            --fail_next_;
            acked.push_back(false);
            continue;
        }
        published_.push_back(e);
        acked.push_back(true);
    }
    return acked;
}

void FakeBus::SubscribeRaw(events::Subject subject, bus::RawHandler handler) {
    std::lock_guard lock(mu_);
    handlers_[std::string(subject.name)] = std::move(handler);
}

void FakeBus::FailNextPublish(int n) {
    std::lock_guard lock(mu_);
    fail_next_ += n;
}

std::vector<bus::Envelope> FakeBus::Envelopes() const {
    std::lock_guard lock(mu_);
    return published_;
}

void FakeBus::Clear() {
    std::lock_guard lock(mu_);
    published_.clear();
}

bus::HandlerResult FakeBus::DeliverRaw(events::Subject subject,
                                       const std::string& payload,
                                       bus::MessageMeta meta) {
    bus::RawHandler handler;
    {
        std::lock_guard lock(mu_);
        auto it = handlers_.find(subject.name);
        if (it == handlers_.end()) {
            throw std::logic_error("no handler subscribed to " + std::string(subject.name));
        }
        handler = it->second;
        meta.subject = std::string(subject.name);
        meta.stream_sequence = ++sequence_;
        if (meta.event_id.empty()) {
            meta.event_id = "fake-" + std::to_string(meta.stream_sequence);
        }
    }
    return handler(payload, meta);
}

}  // namespace ticketing::test

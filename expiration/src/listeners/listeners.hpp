// The expiration service's listeners (queue group "expiration-service", DESIGN.md section 5,
// "Who reacts to what"), one subject per .cpp file, owned together by Listeners like every
// service's:
//   order:created    → schedule the order's expiration at its expiresAt. Idempotent: the order
//                      id is the job id, so a redelivered event adds nothing. Taken in batches
//                      (one Redis pipeline for the backlog an outage leaves).
//   order:cancelled  → remove the order's job. Idempotent: removing a job that is gone (or never
//   order:completed    came) is fine, and the id stays finished for a while so that a late
//                      order:created does not bring the job back.
// A queue failure throws QueueError, which the subscriber turns into a retry (or a hold while
// Redis does not answer).
// Thread-safety: Handle is const and stateless beyond the references; safe from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

#include "domain/schedule_notifier.hpp"
#include "storage/job_queue.hpp"
#include "worker/expiration_metrics.hpp"

namespace ticketing::bus {
class EventSubscriber;
}

namespace ticketing::expiration {

inline constexpr std::string_view kQueueGroup = "expiration-service";

class OrderCreatedListener final {
public:
    OrderCreatedListener(JobQueue& queue, ScheduleNotifier& notifier, ExpirationMetrics& metrics)
        : queue_(queue), notifier_(notifier), metrics_(metrics) {}
    bus::AckDecision Handle(const events::OrderCreated& event, const bus::MessageMeta& meta) const;
    // The same for a batch, scheduled in one pipelined round trip (JobQueue::ScheduleAll).
    std::vector<bus::AckDecision> HandleBatch(std::span<const events::OrderCreated> events,
                                              std::span<const bus::MessageMeta> metas) const;

    // At most this many order:created in one batch.
    static constexpr std::size_t kMaxBatch = 256;

private:
    void Scheduled(const ScheduleResult& result, const std::string& order_id) const;

    JobQueue& queue_;
    ScheduleNotifier& notifier_;
    ExpirationMetrics& metrics_;
};

class OrderCancelledListener final {
public:
    OrderCancelledListener(JobQueue& queue, ExpirationMetrics& metrics)
        : queue_(queue), metrics_(metrics) {}
    bus::AckDecision Handle(const events::OrderCancelled& event,
                            const bus::MessageMeta& meta) const;

private:
    JobQueue& queue_;
    ExpirationMetrics& metrics_;
};

class OrderCompletedListener final {
public:
    OrderCompletedListener(JobQueue& queue, ExpirationMetrics& metrics)
        : queue_(queue), metrics_(metrics) {}
    bus::AckDecision Handle(const events::OrderCompleted& event,
                            const bus::MessageMeta& meta) const;

private:
    JobQueue& queue_;
    ExpirationMetrics& metrics_;
};

// The three listeners, owned together and subscribed on `subscriber`; what they use must
// outlive them (the service builder sees to it).
class Listeners final {
public:
    Listeners(JobQueue& queue, ScheduleNotifier& notifier, ExpirationMetrics& metrics)
        : Listeners(queue, queue, notifier, metrics) {}
    // order:created schedules on `scheduling`, the other two remove on `removal`: on two Redis
    // connections, the backlog drained after an outage is not one queue of round trips.
    Listeners(JobQueue& scheduling,
              JobQueue& removal,
              ScheduleNotifier& notifier,
              ExpirationMetrics& metrics);
    void SubscribeAll(bus::EventSubscriber& subscriber);

    OrderCreatedListener order_created;
    OrderCancelledListener order_cancelled;
    OrderCompletedListener order_completed;
};

}  // namespace ticketing::expiration

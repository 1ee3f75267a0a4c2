// The expiration rules as pure functions (DESIGN.md sections 5 and 6): which order:created makes
// a job and when it is due, what a job carries (the traceparent of the order's request, so that
// expiration:complete continues its trace), the event id that lets JetStream drop a re-run's
// duplicate publish, the retry backoff, and how long the poller may sleep.
// No Redis or NATS type here. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/events/events.hpp"
#include "common/util/clock.hpp"

namespace ticketing::expiration {

struct ExpirationJob {
    std::string order_id;  // also the job id: one job per order
    util::TimePoint due;   // the order's expiresAt
    std::string traceparent;

    bool operator==(const ExpirationJob&) const = default;
};

// The job an order:created asks for: due at expiresAt. None for an order that is no longer
// waiting for payment (cancelled or complete), which has nothing left to expire.
std::optional<ExpirationJob> JobForOrderCreated(const events::OrderCreated& order,
                                                std::string traceparent);

// A job's payload in the queue ({"traceparent": "..."}), and back. A payload that cannot be read
// gives an empty traceparent: the expiration still fires, it only starts a new trace.
std::string EncodePayload(const ExpirationJob& job);
std::string TraceparentFromPayload(std::string_view payload);

// Nats-Msg-Id of expiration:complete: "expiration-<orderId>", the same on every run of the job.
std::string ExpirationEventId(std::string_view order_id);

struct RetryPolicy {
    std::chrono::milliseconds initial{std::chrono::milliseconds(250)};
    std::chrono::milliseconds max{std::chrono::seconds(10)};
};

// How long a job waits after its attempt-th run failed: initial, doubling, at most max.
std::chrono::milliseconds RetryDelay(std::int64_t attempt, const RetryPolicy& policy);

// What the poller knows after a claim, all on the queue's clock.
struct PollState {
    util::TimePoint now;
    std::optional<util::TimePoint> next_due;        // earliest waiting job
    std::optional<util::TimePoint> next_lease_end;  // earliest running job's lease end
    bool batch_was_full = false;  // the claim hit its limit: more may be due already
};

// How long the poller may sleep before its next claim: until the earliest waiting job or lease
// end, at most max_sleep, zero when more jobs may be due already.
std::chrono::milliseconds PollDelay(const PollState& state, std::chrono::milliseconds max_sleep);

}  // namespace ticketing::expiration

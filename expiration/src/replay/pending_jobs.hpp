// PendingJobs: which expiration jobs the order events say should exist (DESIGN.md sections 6
// and 8), for `ticketing-expiration replay`: an order:created that still waits for payment adds
// its job (due at expiresAt, with the event's traceparent); order:cancelled, order:completed and
// expiration:complete (the job already ran) remove it. Fed the stream in order, what remains is
// the set of jobs Redis should hold.
// Thread-safety: none; one replay at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/bus/stream_log.hpp"

#include "domain/expiration_job.hpp"

namespace ticketing::expiration {

class PendingJobs final {
public:
    // Returns false for an event that is not about expirations (or cannot be decoded).
    bool Apply(const bus::StoredEvent& event);
    // The jobs left, ordered by order id.
    std::vector<ExpirationJob> Jobs() const;

private:
    std::map<std::string, ExpirationJob> jobs_;
};

}  // namespace ticketing::expiration

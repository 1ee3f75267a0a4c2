// `ticketing-expiration replay [--force]`: rebuilds the pending expiration jobs in Redis from
// the order events of the TICKETING stream (PendingJobs), read through a temporary consumer.
// Scheduling is ZADD NX by order id, so jobs already in Redis are left as they are, and an id
// finished recently (its tombstone) is not brought back. Refuses while an expiration replica
// is listening, unless forced (then it is still safe: every schedule is idempotent).
// Thread-safety: main() only.
#pragma once

#include <ostream>

#include "config/expiration_config.hpp"

namespace ticketing::expiration {

int ReplayJobs(const ExpirationConfig& config,
               bool force,
               std::ostream& out,
               std::ostream& progress);

}  // namespace ticketing::expiration

// ScheduleNotifier: what a listener tells after adding a job, so that a sleeping poller wakes
// early when the new job is due before its planned wake-up. ExpirationWorker implements it.
// Thread-safety: implementations must be safe from any thread.
#pragma once

#include <chrono>

namespace ticketing::expiration {

class ScheduleNotifier {
public:
    virtual ~ScheduleNotifier() = default;
    // A job was added that is due in `due_in` on the queue's clock (negative: overdue).
    virtual void JobScheduled(std::chrono::milliseconds due_in) = 0;
};

}  // namespace ticketing::expiration

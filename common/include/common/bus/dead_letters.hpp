// Dead letters as an operator handles them (DESIGN.md section 5, `scripts/run.sh dlq`): list and
// show what TICKETING_DLQ holds, redrive one to the consumer that dead-lettered it, purge.
// A redrive publishes the event again on its original subject, marked for that consumer only
// (Ticketing-Redrive-For) and carrying its original event id (Ticketing-Event-Id): every other
// consumer of the subject acknowledges it untouched, the named one handles it through its inbox,
// so a redrive of an event it handled meanwhile (or a second redrive) changes nothing. Then the
// dead letter is removed. Replay skips redriven copies (the original is in the log already).
// Thread-safety: stateless functions on a connection that is safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ticketing::bus {

class NatsConnection;

struct DeadLetter {
    std::uint64_t id = 0;     // its sequence in TICKETING_DLQ
    std::string subject;      // the original subject
    std::string consumer;     // the durable that dead-lettered it
    std::string reason;
    std::string time;         // when it was dead-lettered (ISO-8601, UTC)
    std::string trace_id;     // from traceparent, when the event had one
    std::string event_id;     // the original event id
    std::vector<std::pair<std::string, std::string>> headers;  // as stored
    std::string payload;
};

// Every dead letter, oldest first. Throws BusError.
std::vector<DeadLetter> ListDeadLetters(NatsConnection& connection);
// One dead letter; nullopt when there is none with that id. Throws BusError.
std::optional<DeadLetter> FindDeadLetter(NatsConnection& connection, std::uint64_t id);
// Publishes the event again for its consumer only, then removes the dead letter. Throws BusError.
void Redrive(NatsConnection& connection, const DeadLetter& letter);
// Removes a dead letter. Throws BusError.
void Purge(NatsConnection& connection, std::uint64_t id);

}  // namespace ticketing::bus

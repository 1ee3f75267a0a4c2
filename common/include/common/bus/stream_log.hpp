// StreamLog: the TICKETING stream read as the system's history, for replay (DESIGN.md section 8).
// ReadAll goes through a temporary pull consumer of its own (ack none, removed at the end and
// forgotten by the server after a minute of inactivity if the process dies), so the live durables
// are never touched. BoundConsumers tells whether a service's replicas are listening right now.
// Thread-safety: stateless functions on a connection that is safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ticketing::bus {

class NatsConnection;

// One event as the stream stored it, with the metadata of its headers.
struct StoredEvent {
    std::uint64_t sequence = 0;
    std::string subject;
    std::string payload;
    std::string event_id;     // Nats-Msg-Id
    std::string occurred_at;  // Ticketing-Occurred-At (ISO-8601)
    std::string traceparent;
};

struct StreamExtent {
    std::uint64_t first_sequence = 0;
    std::uint64_t last_sequence = 0;
    std::uint64_t messages = 0;
};

// The TICKETING stream's extent now. Throws BusError.
StreamExtent TicketingExtent(NatsConnection& connection);

// Reads TICKETING in sequence order from `from_sequence` up to its last sequence at the time of
// the call, handing batches of at most `batch` events to `on_batch`. Returns the number of
// events read. Throws BusError (the temporary consumer is removed in any case).
std::uint64_t ReadAll(NatsConnection& connection,
                      std::uint64_t from_sequence,
                      std::size_t batch,
                      const std::function<void(std::span<const StoredEvent>)>& on_batch);

// The durables of `queue_group` that have a subscriber bound now: non-empty while a replica of
// the service that owns the group is running. Throws BusError.
std::vector<std::string> BoundConsumers(NatsConnection& connection, std::string_view queue_group);

}  // namespace ticketing::bus

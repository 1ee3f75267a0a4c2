// Reads what a JetStream stream holds, for assertions in integration tests (what was published,
// in which order, what reached the dead-letter stream). Uses its own short-lived connection.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ticketing::test {

struct StoredMessage {
    std::uint64_t sequence = 0;
    std::string subject;
    std::string payload;
    std::map<std::string, std::string> headers;
};

// Every message of `stream`, in sequence order (empty if the stream does not exist).
std::vector<StoredMessage> ReadStream(const std::string& nats_url, const std::string& stream);
// The messages of `stream` on one subject, in stream order.
std::vector<StoredMessage> ReadSubject(const std::string& nats_url,
                                       const std::string& stream,
                                       const std::string& subject);

// Pending (not yet delivered) plus ack-pending counts of a durable consumer; -1 if unknown.
std::int64_t ConsumerBacklog(const std::string& nats_url,
                             const std::string& stream,
                             const std::string& consumer);

// Messages of a durable consumer the server has not delivered yet (JetStream's num_pending);
// -1 if unknown.
std::int64_t ConsumerUndelivered(const std::string& nats_url,
                                 const std::string& stream,
                                 const std::string& consumer);

// Messages of a durable consumer delivered more than once and not yet acknowledged
// (JetStream's num_redelivered); -1 if unknown.
std::int64_t ConsumerRedelivered(const std::string& nats_url,
                                 const std::string& stream,
                                 const std::string& consumer);

}  // namespace ticketing::test

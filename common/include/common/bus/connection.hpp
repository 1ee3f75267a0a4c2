// NatsConnection: one connection to NATS_URL with its JetStream context. Reconnects forever
// (the library's default gives up after about two minutes) and logs disconnects and
// reconnects; a process may start before nats-server does (the first connect keeps retrying in
// the background, and /readyz says "bus" until it succeeds). EnsureStreams provisions the
// TICKETING and TICKETING_DLQ streams, idempotently, at every start.
// Publishers and subscribers borrow it; it must outlive them.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ticketing::bus {

class BusError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ConnectionOptions {
    std::string url = "nats://127.0.0.1:4222";
    std::string name = "ticketing";  // shown in the server's connection list
    // The service's NATS user (NATS_USER, NATS_PASSWORD); empty: none, or the URL carries it.
    std::string user;
    std::string password;
    std::chrono::milliseconds reconnect_wait{250};
    // Stream replicas: 1 locally, 3 on the Kubernetes JetStream cluster.
    int stream_replicas = 1;
    // How long Connect waits for the first connection before returning anyway (the library
    // keeps trying in the background). Zero: do not wait.
    std::chrono::milliseconds initial_wait{std::chrono::seconds(5)};
};

// The servers of a NATS_URL that lists several ("nats://a:4222,nats://b:4222", spaces allowed
// around the commas), in order; empty entries are dropped. nats.c 3.4's natsOptions_SetURL does
// not connect with such a list, so Connect hands the servers over one by one.
std::vector<std::string> SplitServerUrls(std::string_view urls);

struct NatsHandles;  // nats.c handles, visible only inside common/src/bus

class NatsConnection final {
public:
    // Throws BusError for a malformed URL or a library failure; an unreachable server is not
    // an error (see above).
    static std::unique_ptr<NatsConnection> Connect(const ConnectionOptions& options);
    ~NatsConnection();
    NatsConnection(const NatsConnection&) = delete;
    NatsConnection& operator=(const NatsConnection&) = delete;

    bool IsConnected() const;
    // Blocks until connected or the deadline passes; returns IsConnected().
    bool WaitConnected(std::chrono::milliseconds deadline) const;

    // Creates or updates the TICKETING stream (file storage, the seven subjects, limits
    // retention with no age limit, 2-minute duplicate window) and TICKETING_DLQ
    // ("deadletter.>") and TICKETING_SESSIONS ("session:revoked", kept a year). Throws BusError
    // when the server refuses or cannot be reached.
    void EnsureStreams();

    // How many messages the connection kept for acknowledgements has written (a subscriber's
    // positive acks go there, gathered by the library's flusher into one write); nullopt when
    // there is no such connection and acks go on the main one.
    std::optional<std::uint64_t> AcknowledgementsSent() const;

    const ConnectionOptions& options() const;
    NatsHandles& handles();

private:
    NatsConnection();
    std::unique_ptr<NatsHandles> handles_;
};

}  // namespace ticketing::bus

// StreamFollower: every message of one subject of a stream, from the stream's first message on,
// delivered to this process whatever other processes do (an ordered ephemeral consumer: no
// queue group, no acks, gaps repaired by the library). For state that every replica must hold
// in memory, such as revoked sessions (DESIGN.md section 13); events that change a service's
// database go through EventSubscriber instead.
// The handler runs on a library thread, one message at a time; it must not throw (what it
// throws is logged and the message skipped). The follower must be destroyed before what the
// handler uses; its destructor returns once no handler call is running.
// Thread-safety: construct and destroy on one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ticketing::bus {

class NatsConnection;

class StreamFollower final {
public:
    using Handler = std::function<void(std::string_view payload)>;

    // Throws BusError when the consumer cannot be created (no stream, no permission).
    StreamFollower(NatsConnection& connection,
                   std::string stream,
                   std::string subject,
                   Handler handler);
    ~StreamFollower();
    StreamFollower(const StreamFollower&) = delete;
    StreamFollower& operator=(const StreamFollower&) = delete;

    struct State;  // the library's callbacks' closure (follower.cpp)

private:
    std::unique_ptr<State> state_;
};

}  // namespace ticketing::bus

// Real servers for integration tests, each on a free loopback port with its own store in a
// temporary directory: nats-server with JetStream, redis-server with AOF. Each waits until it
// accepts connections and stops on destruction (also when a test fails). Restart keeps the store
// and the port, so a test can kill a server and bring the same one back.
// (PostgreSQL lives in postgres_server.hpp.)
// Thread-safety: drive each from one test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/testing/process.hpp"

namespace ticketing::test {

class NatsServer final {
public:
    NatsServer();
    ~NatsServer();

    std::uint16_t Port() const { return port_; }
    std::string Url() const;
    // SIGKILL: as abrupt as a crash. The store stays.
    void Kill();
    // Starts again on the same port and store; returns once it accepts connections.
    void Start();
    void Restart() {
        Kill();
        Start();
    }
    bool Running() const { return process_ != nullptr; }

private:
    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<ChildProcess> process_;
};

class RedisServer final {
public:
    RedisServer();
    ~RedisServer();

    std::uint16_t Port() const { return port_; }
    std::string Url() const;  // redis://127.0.0.1:<port>
    void Kill();
    void Start();
    void Restart() {
        Kill();
        Start();
    }

private:
    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace ticketing::test

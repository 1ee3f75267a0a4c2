// LocalStack: the whole system, started for an end-to-end test by the README's own run command
// (scripts/run.sh start --detach) in a temporary data directory, on a block of free loopback
// ports (TICKETING_PORT_BASE), from the binaries this build produced; stopped (scripts/run.sh
// stop) on destruction, also when a test fails.
// Thread-safety: construct and destroy on one thread; the accessors are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/testing/process.hpp"

namespace ticketing::test {

struct StackOptions {
    int replicas = 1;
    bool postgres = false;
    bool nats_cluster = false;  // three JetStream nodes (--nats-cluster)
    bool containers = false;    // the services from their images (--containers; built already)
    bool observe = false;       // a Prometheus server too (--observe), at PrometheusUrl()
    int expiration_window_seconds = 900;
    int auth_rate = 10;  // TICKETING_AUTH_RATE: sign-ins and sign-ups per second at the ingress
    // The data directory stays as mkdtemp made it (0700): nobody but its owner may enter it.
    bool private_data_dir = false;
    EnvVars env{};       // more variables for the run command (PAYMENT_GATEWAY, ...)
};

// A block of 70 loopback ports (the span scripts/run.sh uses from TICKETING_PORT_BASE), claimed
// for the life of the object: a lock file per block (flock) keeps two stacks started at once by
// parallel tests off the same block, which a check that the ports are free cannot do while
// neither has started listening yet. The lock goes with the descriptor, also when a test dies.
class PortBlock final {
public:
    PortBlock();
    ~PortBlock();
    PortBlock(const PortBlock&) = delete;
    PortBlock& operator=(const PortBlock&) = delete;
    std::uint16_t Base() const { return base_; }

private:
    int lock_fd_ = -1;
    std::uint16_t base_ = 0;
};

class LocalStack final {
public:
    explicit LocalStack(StackOptions options);
    ~LocalStack();
    LocalStack(const LocalStack&) = delete;
    LocalStack& operator=(const LocalStack&) = delete;

    std::string IngressUrl() const;
    // The stack's (first) nats-server: scripts/run.sh puts it just above the ingress.
    std::string NatsUrl() const;
    // The stack's Prometheus (with observe): scripts/run.sh puts it at the base + 12.
    std::string PrometheusUrl() const;
    std::uint16_t IngressPort() const { return base_; }
    const std::filesystem::path& DataDir() const { return dir_.Path(); }
    // A credential scripts/run.sh made for this stack (<data>/secrets/<name>: nats-ops,
    // redis-default, ...).
    std::string Secret(const std::string& name) const;
    std::filesystem::path LogFile(const std::string& process) const;
    // What `scripts/run.sh start` printed.
    const std::string& StartOutput() const { return start_output_; }
    // Runs `scripts/run.sh <args>` against this stack; returns its exit code and fills `output`.
    int Run(const std::vector<std::string>& args, std::string* output = nullptr) const;

private:
    TempDir dir_;
    PortBlock ports_;
    std::uint16_t base_;
    StackOptions options_;
    std::string start_output_;
};

}  // namespace ticketing::test

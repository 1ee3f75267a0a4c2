// Runtime: what every event-driven service's main() wires the same way, so the composition roots
// stay short and alike: logging from the config, the database with common's and the service's
// migrations, the NATS connection with provisioned streams, the outbox relay, the subscriber of
// the service's queue group, and the HTTP server with its readiness checks. Serve() runs until
// SIGINT/SIGTERM, then stops in the safe order: HTTP drains, listeners stop (they are destroyed
// first: nothing they use may die before them), the relay finishes its batch, connections close.
// Usage in main():
//     config::EnvReader env;
//     auto cfg = config::CommonConfig::FromEnv(env, "tickets");
//     ... the service's own variables ...
//     env.Finish();
//     service::Runtime rt(cfg, "tickets-service");
//     rt.OpenDatabase(tickets::Migrations());
//     rt.ConnectBus();
//     ... build domain objects on rt.db(), subscribe listeners on rt.subscriber() ...
//     return rt.Serve(std::move(router));
// Thread-safety: set up and Serve from the main thread; the accessors are safe afterwards.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/auth/session.hpp"
#include "common/config/env.hpp"
#include "common/db/migrations.hpp"
#include "common/http/router.hpp"

namespace ticketing::db {
class Database;
}
namespace ticketing::metrics {
class Registry;
}
namespace ticketing::bus {
class EventSubscriber;
class NatsConnection;
class OutboxRelay;
struct RetentionRule;
}  // namespace ticketing::bus

namespace ticketing::service {

// SIGINT or SIGTERM arrived while the service was still starting (waiting for a dependency).
class StartupInterrupted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Runtime final {
public:
    // Blocks SIGINT/SIGTERM for every thread created from here on (construct it before any
    // thread starts) and initialises JSON logging for `cfg.service`. `queue_group` names the service's listeners
    // ("tickets-service"); empty for a service that listens to nothing.
    Runtime(config::CommonConfig cfg, std::string queue_group);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Opens DATABASE_URL and applies bus::Migrations followed by `own` (versions >= 100).
    void OpenDatabase(const std::vector<db::Migration>& own);
    // A table of the service's pruned like the inbox (bus::RetentionRule); before ConnectBus.
    void PruneAlso(bus::RetentionRule rule);
    // Connects to NATS_URL (waits up to `bus_wait` for the server), provisions the streams,
    // starts the outbox relay (when a database is open) and creates the subscriber. Throws
    // bus::BusError when the server stays unreachable, so the process manager restarts it.
    void ConnectBus(std::chrono::seconds bus_wait = std::chrono::seconds(60));

    // The session settings of a service that checks sessions: the public keys of
    // JWT_PUBLIC_KEYS_DIR (throws std::runtime_error when they cannot be read), the revoked
    // sessions this process follows once ConnectBus ran, and `signer` for auth. The settings
    // refer to the runtime, which must outlive them.
    auth::SessionSettings Sessions(std::optional<auth::SigningKey> signer = std::nullopt) const;

    const config::CommonConfig& config() const { return cfg_; }
    metrics::Registry& metrics();
    db::Database& db();
    bus::NatsConnection& bus();
    bus::OutboxRelay& relay();
    bus::EventSubscriber& subscriber();

    // Serves `router` on HTTP_PORT with HTTP_WORKERS workers and the readiness checks
    // "database" and "bus" (for what was opened), until SIGINT or SIGTERM. Returns 0.
    int Serve(http::Router router);

private:
    struct Parts;

    config::CommonConfig cfg_;
    std::string queue_group_;
    std::unique_ptr<Parts> parts_;
};

// Runs `body` and turns what escapes into an exit status for main(): a ConfigError prints every
// problem on stderr (1); a stop request during start-up (StartupInterrupted) is a clean exit
// (0); any other exception is logged (1).
int RunMain(const std::function<int()>& body);

}  // namespace ticketing::service

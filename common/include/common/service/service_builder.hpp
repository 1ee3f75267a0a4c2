// ServiceBuilder: the one way a service is put together (STYLE.md "Shape"), used by every
// service's main() and by its integration fixtures alike, so both run the same wiring.
//   infrastructure  logging, the database with common's and the service's migrations, the NATS
//                   connection with provisioned streams, the outbox relay, the revoked sessions;
//   parts           what the service builds on them (domain services, repositories, queues,
//                   listeners, workers), made by Make<T>() and so owned by the builder;
//   running         Start(): the subscriptions, the workers, then the HTTP server with its
//                   readiness checks; Serve() = Start + wait for SIGINT/SIGTERM + Stop.
// Lifetimes: the builder constructs in that order and destroys in reverse, on every exit path
// (its destructor stops whatever runs): the HTTP server stops first, then every subscription
// (no new delivery, then a wait without time limit until each handler has returned), then the
// workers, the relay, the parts, and last the infrastructure. So a handler never outlives what
// it touches, also when Start throws (a port in use, a Subscribe the server refuses).
// Usage in main():
//     service::ServiceBuilder b(cfg, "tickets-service");
//     tickets::Assemble(b);      // OpenDatabase, ConnectBus, Make parts, Listen, Routes
//     return b.Serve();
// and in a fixture: the same with cfg.http_port = 0, ServiceBuilder::Mode::kEmbedded, b.Start().
// Thread-safety: build, Start and Stop from one thread; the accessors are safe afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/auth/session.hpp"
#include "common/bus/bus.hpp"
#include "common/config/env.hpp"
#include "common/db/migrations.hpp"
#include "common/http/router.hpp"

namespace ticketing::db {
class Database;
}
namespace ticketing::metrics {
class Registry;
}
namespace ticketing::util {
class Clock;
class IdGenerator;
}  // namespace ticketing::util
namespace ticketing::bus {
class EventPublisher;
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

class ServiceBuilder final {
public:
    enum class Mode {
        kProcess,   // main(): blocks SIGINT/SIGTERM for every later thread (Serve waits for them)
        kEmbedded,  // a test process: leaves signals alone
    };

    // Initialises JSON logging for `cfg.service`. `queue_group` names the service's listeners
    // ("tickets-service"); empty for a service that listens to nothing.
    ServiceBuilder(config::CommonConfig cfg, std::string queue_group, Mode mode = Mode::kProcess);
    ~ServiceBuilder();
    ServiceBuilder(const ServiceBuilder&) = delete;
    ServiceBuilder& operator=(const ServiceBuilder&) = delete;

    // ---- infrastructure: each optional, in this order ----
    // The clock every part and the session checks use (default: the system clock); first.
    ServiceBuilder& UseClock(const util::Clock& clock);
    // Opens DATABASE_URL and applies bus::Migrations followed by `own` (versions >= 100).
    ServiceBuilder& OpenDatabase(const std::vector<db::Migration>& own);
    // A table of the service's pruned like the inbox (bus::RetentionRule); before ConnectBus.
    ServiceBuilder& PruneAlso(bus::RetentionRule rule);
    // Connects to NATS_URL (waits up to `wait` for the server), provisions the streams, starts
    // the outbox relay (when a database is open) and follows the revoked sessions (when
    // sessions are checked). Throws bus::BusError when the server stays unreachable.
    ServiceBuilder& ConnectBus(std::chrono::seconds wait = std::chrono::seconds(60));

    // ---- what the parts are built from ----
    const config::CommonConfig& config() const { return cfg_; }
    const util::Clock& clock() const;
    util::IdGenerator& ids();
    metrics::Registry& metrics();
    db::Database& db();
    // How a route that reads one row is dispatched (HTTP_INLINE_READS): with "auto", inline on
    // the HTTP I/O thread when the database is on this machine (SQLite: a read of a local file
    // takes microseconds and never waits for a writer in WAL mode; PostgreSQL on loopback or a
    // Unix socket: one round trip on this machine, about 0.1 ms), on a worker when reads cross
    // the network. The hand-off to a worker and back cost a GET a quarter of its throughput on
    // SQLite, and tickets a third of its CPU per GET on a local PostgreSQL (issue 20).
    http::Dispatch ReadDispatch();
    // How a route whose write SQLite queues (POST /api/tickets, POST /api/orders: CreateAsync)
    // is dispatched: inline on SQLite, where it blocks nowhere; on a worker on PostgreSQL, where
    // it runs its transaction (round trips and a commit's flush) on the calling thread.
    http::Dispatch QueuedWriteDispatch();
    bus::NatsConnection& bus();
    bus::EventPublisher& publisher();
    // What a part calls after committing outbox rows: wakes the relay (a no-op without one).
    std::function<void()> EventsWritten();
    // What a SqlTransactionRunner calls right after a commit with the outbox rows it wrote
    // (SQLite, in commit order): the relay publishes them from there when it can
    // (OutboxRelay::PublishCommitted), else it is woken (a no-op without a relay).
    std::function<void(std::vector<bus::OutboxRow>)> EventsCommitted();
    // The session settings of a service that checks sessions: the public keys of
    // JWT_PUBLIC_KEYS_DIR (throws std::runtime_error when unreadable), the revoked sessions
    // followed since ConnectBus, the clock, and `signer` for auth.
    auth::SessionSettings Sessions(std::optional<auth::SigningKey> signer = std::nullopt) const;

    // ---- the service's parts ----
    // Builds a T owned by the builder: it outlives the HTTP server, every subscription and
    // every worker, and dies before the infrastructure. The reference stays valid until the
    // builder is destroyed.
    template <class T, class... Args>
    T& Make(Args&&... args);
    // `subscribe(subscriber)` runs in Start, after every part exists: the listeners' only way
    // onto the bus, so no subscription can precede what its handlers use.
    ServiceBuilder& Listen(std::function<void(bus::EventSubscriber&)> subscribe);
    // At most this many events delivered and not yet acknowledged per consumer (default 1000).
    ServiceBuilder& MaxEventsInFlight(std::int64_t n);
    // How long the server waits for an acknowledgement before it delivers again (default 30 s).
    ServiceBuilder& AckWait(std::chrono::milliseconds wait);
    // A background activity: `start` runs in Start after the subscriptions, `stop` in Stop after
    // them (parts made with Make also stop in their destructors; this orders the stop).
    ServiceBuilder& Worker(std::function<void()> start, std::function<void()> stop);
    // A check of GET /readyz. With `gates_events`, it also holds an event whose handler failed
    // while it reports false (the service's dependencies less the bus); the database's check is
    // added by OpenDatabase and the bus's by ConnectBus.
    ServiceBuilder& ReadinessCheck(std::string name,
                                   std::function<bool()> check,
                                   bool gates_events = true);
    ServiceBuilder& Routes(http::Router router);

    // ---- running ----
    // Subscribes the listeners, starts the workers, then serves the routes on HTTP_ADDRESS and
    // HTTP_PORT (0: a free port, see port()). Throws what fails; the destructor still stops
    // whatever had started.
    void Start();
    std::uint16_t port() const;
    // Stops in the safe order (see the header comment). Idempotent; the destructor calls it.
    void Stop();
    // For main(): Start, wait for SIGINT or SIGTERM, Stop. Returns 0.
    int Serve();

private:
    struct Parts;
    struct PartBase {
        virtual ~PartBase() = default;
    };
    template <class T>
    struct Part final : PartBase {
        template <class... Args>
        explicit Part(Args&&... args) : value(std::forward<Args>(args)...) {}
        T value;
    };
    void Own(std::unique_ptr<PartBase> part);

    config::CommonConfig cfg_;
    std::string queue_group_;
    std::unique_ptr<Parts> parts_;
};

template <class T, class... Args>
T& ServiceBuilder::Make(Args&&... args) {
    auto part = std::make_unique<Part<T>>(std::forward<Args>(args)...);
    T& value = part->value;
    Own(std::move(part));
    return value;
}

// Runs `body` and turns what escapes into an exit status for main(): a ConfigError prints every
// problem on stderr (1); a stop request during start-up (StartupInterrupted) is a clean exit
// (0); any other exception is logged (1).
int RunMain(const std::function<int()>& body);

}  // namespace ticketing::service

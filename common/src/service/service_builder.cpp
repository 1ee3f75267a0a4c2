#include "common/service/service_builder.hpp"

#include <iostream>

#include "common/auth/session.hpp"
#include "common/bus/connection.hpp"
#include "common/bus/follower.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/database.hpp"
#include "common/events/events.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/util/clock.hpp"
#include "common/util/ids.hpp"

namespace ticketing::service {

// Members in construction order, destroyed in reverse: the server and the subscriber go first,
// then the service's parts (newest first, see ~Parts), then the infrastructure.
struct ServiceBuilder::Parts {
    struct Check {
        std::string name;
        std::function<bool()> check;
        bool gates_events;
    };
    struct WorkerHooks {
        std::function<void()> start;
        std::function<void()> stop;
    };

    metrics::Registry registry;
    util::SystemClock system_clock;
    const util::Clock* clock = &system_clock;
    std::unique_ptr<util::ObjectIdGenerator> ids;
    auth::RevocationList revocations;
    std::unique_ptr<db::Database> db;
    std::unique_ptr<bus::NatsConnection> connection;
    std::unique_ptr<bus::NatsPublisher> publisher;
    std::unique_ptr<bus::OutboxRelay> relay;
    std::unique_ptr<bus::StreamFollower> revocation_feed;  // before the revocations die
    std::vector<bus::RetentionRule> also_prune;

    std::vector<std::unique_ptr<PartBase>> owned;  // the service's parts, in order of making
    std::vector<std::function<void(bus::EventSubscriber&)>> listeners;
    std::vector<WorkerHooks> workers;
    std::size_t workers_started = 0;
    std::vector<Check> checks;
    http::Router router;
    std::int64_t max_in_flight = 1000;
    std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
    bool started = false;
    bool stopped = false;

    // "Subscriptions must be the last fields": after everything a handler can touch.
    std::unique_ptr<bus::NatsSubscriber> subscriber;
    std::unique_ptr<http::Server> server;

    ~Parts() {
        while (!owned.empty()) {
            owned.pop_back();  // newest first: a part may use one made before it
        }
    }
};

ServiceBuilder::ServiceBuilder(config::CommonConfig cfg, std::string queue_group, Mode mode)
    : cfg_(std::move(cfg)), queue_group_(std::move(queue_group)), parts_(std::make_unique<Parts>()) {
    if (mode == Mode::kProcess) {
        // Before any thread exists, so every thread inherits the mask and the signals reach
        // only Serve's wait.
        http::BlockTerminationSignals();
        log::BufferOutput();
    }
    log::Init(cfg_.service, log::ParseLevel(cfg_.log_level).value_or(log::Level::kInfo));
}

ServiceBuilder::~ServiceBuilder() {
    try {
        Stop();
    } catch (const std::exception& e) {
        log::Error("stopping the service failed", {{"error", e.what()}});
    }
}

ServiceBuilder& ServiceBuilder::UseClock(const util::Clock& clock) {
    if (parts_->ids || parts_->db || parts_->connection) {
        throw std::logic_error("ServiceBuilder::UseClock must come first");
    }
    parts_->clock = &clock;
    return *this;
}

ServiceBuilder& ServiceBuilder::OpenDatabase(const std::vector<db::Migration>& own) {
    parts_->db = db::Database::Open(cfg_.database_url, 16);
    db::RunMigrations(*parts_->db,
                      bus::WithBusMigrations(parts_->db->kind() == db::Database::Kind::kPostgres, own));
    ReadinessCheck("database", [db = parts_->db.get()] { return db->Ping(); });
    return *this;
}

ServiceBuilder& ServiceBuilder::PruneAlso(bus::RetentionRule rule) {
    parts_->also_prune.push_back(std::move(rule));
    return *this;
}

ServiceBuilder& ServiceBuilder::ConnectBus(std::chrono::seconds wait) {
    auto& p = *parts_;
    bus::ConnectionOptions options;
    options.url = cfg_.nats_url;
    options.user = cfg_.nats_user;
    options.password = cfg_.nats_password;
    options.name = cfg_.service;
    options.stream_replicas = cfg_.nats_stream_replicas;
    options.initial_wait = std::chrono::seconds(0);
    p.connection = bus::NatsConnection::Connect(options);
    // In slices, so that a stop request during the wait ends the process at once.
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!p.connection->WaitConnected(std::chrono::milliseconds(200)) &&
           std::chrono::steady_clock::now() < deadline) {
        if (http::TerminationSignalPending()) {
            throw StartupInterrupted("stopped while waiting for NATS at " +
                                     config::MaskCredentials(cfg_.nats_url));
        }
    }
    if (!p.connection->IsConnected()) {
        throw bus::BusError("NATS at " + config::MaskCredentials(cfg_.nats_url) +
                            " unreachable for " + std::to_string(wait.count()) + " s");
    }
    p.connection->EnsureStreams();
    p.publisher = std::make_unique<bus::NatsPublisher>(*p.connection, p.registry);
    if (p.db) {
        bus::RelayOptions ro;
        ro.inbox_retention = cfg_.inbox_retention;
        ro.publish_on_commit = cfg_.outbox_publish_on_commit;
        ro.also_prune = p.also_prune;
        p.relay = std::make_unique<bus::OutboxRelay>(*p.db, *p.publisher, p.registry, ro);
        p.relay->Start();
    }
    if (!cfg_.jwt_public_keys_dir.empty()) {
        // Every replica holds every revoked session (DESIGN.md section 13).
        p.revocation_feed = std::make_unique<bus::StreamFollower>(
            *p.connection,
            std::string(bus::kSessionsStreamName),
            std::string(events::kSessionRevoked.name),
            [parts = parts_.get()](std::string_view payload) {
                try {
                    const auto e = events::Decode<events::SessionRevoked>(payload);
                    parts->revocations.Revoke(
                        e.jti,
                        std::chrono::floor<std::chrono::seconds>(e.expires_at.time_since_epoch())
                            .count(),
                        parts->clock->Now());
                } catch (const events::DecodeError& e) {
                    log::Error("undecodable session:revoked skipped", {{"error", e.what()}});
                }
            });
    }
    ReadinessCheck(
        "bus", [c = p.connection.get()] { return c->IsConnected(); }, /*gates_events=*/false);
    return *this;
}

const util::Clock& ServiceBuilder::clock() const {
    return *parts_->clock;
}

util::IdGenerator& ServiceBuilder::ids() {
    if (!parts_->ids) {
        parts_->ids = std::make_unique<util::ObjectIdGenerator>(*parts_->clock);
    }
    return *parts_->ids;
}

metrics::Registry& ServiceBuilder::metrics() {
    return parts_->registry;
}

db::Database& ServiceBuilder::db() {
    if (!parts_->db) {
        throw std::logic_error("ServiceBuilder::db() before OpenDatabase()");
    }
    return *parts_->db;
}

http::Dispatch ServiceBuilder::ReadDispatch() {
    const bool inline_reads = cfg_.http_inline_reads == "on" ||
                              (cfg_.http_inline_reads == "auto" && db().on_this_machine());
    log::Info("one-row reads dispatched",
              {{"on", inline_reads ? "the I/O threads" : "the workers"},
               {"database", db().on_this_machine() ? "on this machine" : "across the network"},
               {"HTTP_INLINE_READS", cfg_.http_inline_reads}});
    return inline_reads ? http::Dispatch::kInline : http::Dispatch::kWorker;
}

http::Dispatch ServiceBuilder::QueuedWriteDispatch() {
    return db().kind() == db::DatabaseKind::kSqlite ? http::Dispatch::kInline
                                                    : http::Dispatch::kWorker;
}

bus::NatsConnection& ServiceBuilder::bus() {
    if (!parts_->connection) {
        throw std::logic_error("ServiceBuilder::bus() before ConnectBus()");
    }
    return *parts_->connection;
}

bus::EventPublisher& ServiceBuilder::publisher() {
    if (!parts_->publisher) {
        throw std::logic_error("ServiceBuilder::publisher() before ConnectBus()");
    }
    return *parts_->publisher;
}

std::function<void()> ServiceBuilder::EventsWritten() {
    return [parts = parts_.get()] {
        if (parts->relay) {
            parts->relay->Wake();
        }
    };
}

std::function<void(std::vector<bus::OutboxRow>)> ServiceBuilder::EventsCommitted() {
    return [parts = parts_.get()](std::vector<bus::OutboxRow> rows) {
        if (parts->relay) {
            parts->relay->PublishCommitted(std::move(rows));
        }
    };
}

auth::SessionSettings ServiceBuilder::Sessions(std::optional<auth::SigningKey> signer) const {
    auth::SessionSettings settings;
    settings.keys = auth::VerificationKeys::FromDirectory(cfg_.jwt_public_keys_dir);
    settings.signer = std::move(signer);
    settings.ttl = cfg_.session_ttl;
    settings.clock = parts_->clock;
    settings.revoked = &parts_->revocations;
    return settings;
}

void ServiceBuilder::Own(std::unique_ptr<PartBase> part) {
    parts_->owned.push_back(std::move(part));
}

ServiceBuilder& ServiceBuilder::Listen(std::function<void(bus::EventSubscriber&)> subscribe) {
    if (queue_group_.empty()) {
        throw std::logic_error("ServiceBuilder::Listen needs a queue group");
    }
    parts_->listeners.push_back(std::move(subscribe));
    return *this;
}

ServiceBuilder& ServiceBuilder::MaxEventsInFlight(std::int64_t n) {
    parts_->max_in_flight = n;
    return *this;
}

ServiceBuilder& ServiceBuilder::AckWait(std::chrono::milliseconds wait) {
    parts_->ack_wait = wait;
    return *this;
}

ServiceBuilder& ServiceBuilder::Worker(std::function<void()> start, std::function<void()> stop) {
    parts_->workers.push_back({std::move(start), std::move(stop)});
    return *this;
}

ServiceBuilder& ServiceBuilder::ReadinessCheck(std::string name,
                                               std::function<bool()> check,
                                               bool gates_events) {
    parts_->checks.push_back({std::move(name), std::move(check), gates_events});
    return *this;
}

ServiceBuilder& ServiceBuilder::Routes(http::Router router) {
    parts_->router = std::move(router);
    return *this;
}

void ServiceBuilder::Start() {
    auto& p = *parts_;
    if (p.started) {
        throw std::logic_error("ServiceBuilder::Start called twice");
    }
    p.started = true;
    if (!p.listeners.empty()) {
        if (!p.connection) {
            throw std::logic_error("ServiceBuilder::Listen needs ConnectBus()");
        }
        bus::SubscriberOptions so;
        so.queue_group = queue_group_;
        so.retry_horizon = cfg_.nats_retry_horizon;
        so.max_ack_pending = p.max_in_flight;
        so.ack_wait = p.ack_wait;
        std::vector<std::function<bool()>> gates;
        for (const auto& c : p.checks) {
            if (c.gates_events) {
                gates.push_back(c.check);
            }
        }
        if (!gates.empty()) {
            // While a dependency does not answer, a failed event waits for it in place.
            so.dependencies_ready = [gates = std::move(gates)] {
                for (const auto& ready : gates) {
                    if (!ready()) {
                        return false;
                    }
                }
                return true;
            };
        }
        p.subscriber = std::make_unique<bus::NatsSubscriber>(*p.connection, so, p.registry);
        for (const auto& subscribe : p.listeners) {
            subscribe(*p.subscriber);
        }
    }
    for (const auto& w : p.workers) {
        w.start();
        ++p.workers_started;
    }
    http::ServerOptions options;
    options.address = cfg_.http_address;
    options.unix_socket = cfg_.http_unix_socket;
    options.port = static_cast<std::uint16_t>(cfg_.http_port);
    options.workers = static_cast<std::size_t>(cfg_.http_workers);
    options.io_threads = static_cast<std::size_t>(cfg_.http_io_threads);
    p.server = std::make_unique<http::Server>(options, std::move(p.router), p.registry);
    for (const auto& c : p.checks) {
        p.server->AddReadinessCheck(c.name, c.check);
    }
    p.server->Start();
}

std::uint16_t ServiceBuilder::port() const {
    if (!parts_->server) {
        throw std::logic_error("ServiceBuilder::port() before Start()");
    }
    return parts_->server->port();
}

void ServiceBuilder::Stop() {
    auto& p = *parts_;
    if (p.stopped) {
        return;
    }
    p.stopped = true;
    if (p.server) {
        p.server->Stop();  // in-flight requests finish
    }
    p.subscriber.reset();  // no new delivery; returns once every handler has returned
    while (p.workers_started > 0) {
        p.workers[--p.workers_started].stop();
    }
    p.revocation_feed.reset();
    if (p.relay) {
        p.relay->Stop();  // finishes its batch
    }
}

int ServiceBuilder::Serve() {
    Start();
    int sig = http::WaitForTerminationSignal();
    log::Info("termination signal received, draining", {{"signal", sig}});
    Stop();
    log::Info("stopped");
    return 0;
}

int RunMain(const std::function<int()>& body) {
    try {
        return body();
    } catch (const config::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return 1;
    } catch (const StartupInterrupted& e) {
        log::Info("termination signal received during start-up", {{"detail", e.what()}});
        return 0;
    } catch (const std::exception& e) {
        log::Error("service failed", {{"error", e.what()}});
        return 1;
    }
}

}  // namespace ticketing::service

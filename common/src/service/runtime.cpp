#include "common/service/runtime.hpp"

#include <iostream>

#include "common/auth/session.hpp"
#include "common/bus/connection.hpp"
#include "common/bus/follower.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/database.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/events/events.hpp"
#include "common/util/clock.hpp"

namespace ticketing::service {

// Members in construction order; destroyed in reverse, so the subscriber goes first.
struct Runtime::Parts {
    metrics::Registry registry;
    util::SystemClock clock;
    auth::RevocationList revocations;
    std::unique_ptr<db::Database> db;
    std::unique_ptr<bus::NatsConnection> connection;
    std::unique_ptr<bus::NatsPublisher> publisher;
    std::unique_ptr<bus::OutboxRelay> relay;
    std::unique_ptr<bus::StreamFollower> revocation_feed;  // before the revocations die
    std::unique_ptr<bus::NatsSubscriber> subscriber;  // last: "subscriptions must be the last fields"
    std::vector<bus::RetentionRule> also_prune;
};

Runtime::Runtime(config::CommonConfig cfg, std::string queue_group)
    : cfg_(std::move(cfg)), queue_group_(std::move(queue_group)), parts_(std::make_unique<Parts>()) {
    // Before any thread exists, so every thread inherits the mask and the signals reach only
    // Serve's wait.
    http::BlockTerminationSignals();
    log::Init(cfg_.service, log::ParseLevel(cfg_.log_level).value_or(log::Level::kInfo));
}

Runtime::~Runtime() {
    if (parts_) {
        parts_->subscriber.reset();
        if (parts_->relay) {
            parts_->relay->Stop();
        }
    }
}

void Runtime::OpenDatabase(const std::vector<db::Migration>& own) {
    parts_->db = db::Database::Open(cfg_.database_url, 16);
    db::RunMigrations(*parts_->db,
                      bus::WithBusMigrations(parts_->db->kind() == db::Database::Kind::kPostgres, own));
}

void Runtime::ConnectBus(std::chrono::seconds bus_wait) {
    bus::ConnectionOptions options;
    options.url = cfg_.nats_url;
    options.user = cfg_.nats_user;
    options.password = cfg_.nats_password;
    options.name = cfg_.service;
    options.stream_replicas = cfg_.nats_stream_replicas;
    options.initial_wait = std::chrono::seconds(0);
    parts_->connection = bus::NatsConnection::Connect(options);
    // In slices, so that a stop request during the wait ends the process at once.
    auto deadline = std::chrono::steady_clock::now() + bus_wait;
    while (!parts_->connection->WaitConnected(std::chrono::milliseconds(200)) &&
           std::chrono::steady_clock::now() < deadline) {
        if (http::TerminationSignalPending()) {
            throw StartupInterrupted("stopped while waiting for NATS at " + config::MaskCredentials(cfg_.nats_url));
        }
    }
    if (!parts_->connection->IsConnected()) {
        throw bus::BusError("NATS at " + config::MaskCredentials(cfg_.nats_url) + " unreachable for " +
                            std::to_string(bus_wait.count()) + " s");
    }
    parts_->connection->EnsureStreams();
    parts_->publisher = std::make_unique<bus::NatsPublisher>(*parts_->connection, parts_->registry);
    if (parts_->db) {
        bus::RelayOptions ro;
        ro.inbox_retention = cfg_.inbox_retention;
        ro.also_prune = parts_->also_prune;
        parts_->relay = std::make_unique<bus::OutboxRelay>(
            *parts_->db, *parts_->publisher, parts_->registry, ro);
        parts_->relay->Start();
    }
    if (!cfg_.jwt_public_keys_dir.empty()) {
        // Every replica holds every revoked session (DESIGN.md section 13).
        parts_->revocation_feed = std::make_unique<bus::StreamFollower>(
            *parts_->connection,
            std::string(bus::kSessionsStreamName),
            std::string(events::kSessionRevoked.name),
            [parts = parts_.get()](std::string_view payload) {
                try {
                    const auto e = events::Decode<events::SessionRevoked>(payload);
                    parts->revocations.Revoke(
                        e.jti,
                        std::chrono::floor<std::chrono::seconds>(e.expires_at.time_since_epoch())
                            .count(),
                        parts->clock.Now());
                } catch (const events::DecodeError& e) {
                    log::Error("undecodable session:revoked skipped", {{"error", e.what()}});
                }
            });
    }
    if (!queue_group_.empty()) {
        bus::SubscriberOptions so;
        so.queue_group = queue_group_;
        so.retry_horizon = cfg_.nats_retry_horizon;
        if (parts_->db) {
            // While the database does not answer, a failed event waits for it in place.
            so.dependencies_ready = [db = parts_->db.get()] { return db->Ping(); };
        }
        parts_->subscriber =
            std::make_unique<bus::NatsSubscriber>(*parts_->connection, so, parts_->registry);
    }
}

void Runtime::PruneAlso(bus::RetentionRule rule) {
    parts_->also_prune.push_back(std::move(rule));
}

auth::SessionSettings Runtime::Sessions(std::optional<auth::SigningKey> signer) const {
    auth::SessionSettings settings;
    settings.keys = auth::VerificationKeys::FromDirectory(cfg_.jwt_public_keys_dir);
    settings.signer = std::move(signer);
    settings.ttl = cfg_.session_ttl;
    settings.clock = &parts_->clock;
    settings.revoked = &parts_->revocations;
    return settings;
}

metrics::Registry& Runtime::metrics() {
    return parts_->registry;
}

db::Database& Runtime::db() {
    if (!parts_->db) {
        throw std::logic_error("Runtime::db() before OpenDatabase()");
    }
    return *parts_->db;
}

bus::NatsConnection& Runtime::bus() {
    if (!parts_->connection) {
        throw std::logic_error("Runtime::bus() before ConnectBus()");
    }
    return *parts_->connection;
}

bus::OutboxRelay& Runtime::relay() {
    if (!parts_->relay) {
        throw std::logic_error("Runtime::relay() needs OpenDatabase() then ConnectBus()");
    }
    return *parts_->relay;
}

bus::EventSubscriber& Runtime::subscriber() {
    if (!parts_->subscriber) {
        throw std::logic_error("Runtime::subscriber() needs ConnectBus() and a queue group");
    }
    return *parts_->subscriber;
}

int Runtime::Serve(http::Router router) {
    http::ServerOptions options;
    options.address = cfg_.http_address;
    options.port = static_cast<std::uint16_t>(cfg_.http_port);
    options.workers = static_cast<std::size_t>(cfg_.http_workers);
    http::Server server(options, std::move(router), parts_->registry);
    if (parts_->db) {
        server.AddReadinessCheck("database", [this] { return parts_->db->Ping(); });
    }
    if (parts_->connection) {
        server.AddReadinessCheck("bus", [this] { return parts_->connection->IsConnected(); });
    }
    server.RunUntilSignal();
    // Listeners next, so no handler runs while the rest shuts down.
    parts_->subscriber.reset();
    parts_->revocation_feed.reset();
    if (parts_->relay) {
        parts_->relay->Stop();
    }
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

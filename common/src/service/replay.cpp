#include "common/service/replay.hpp"

#include <chrono>
#include <cstdio>

#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/log/log.hpp"
#include "common/service/commands.hpp"

namespace ticketing::service {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

double Since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

void PrintProgress(std::ostream& progress,
                   const std::string& service,
                   const ReplaySummary& s,
                   std::uint64_t total,
                   double seconds) {
    char line[256];
    double pct =
        total == 0 ? 100.0 : 100.0 * static_cast<double>(s.read) / static_cast<double>(total);
    std::snprintf(
        line,
        sizeof line,
        "\rreplay %s: read %llu / %llu (%5.1f%%), applied %llu, skipped %llu, %.0f events/s ",
        service.c_str(),
        static_cast<unsigned long long>(s.read),
        static_cast<unsigned long long>(total),
        pct,
        static_cast<unsigned long long>(s.applied),
        static_cast<unsigned long long>(s.skipped + s.undecodable),
        seconds > 0 ? static_cast<double>(s.read) / seconds : 0.0);
    progress << line << std::flush;
}

}  // namespace

void ReplaceTables(soci::session& tx, EventReplayer& replayer) {
    for (const auto& t : replayer.Tables()) {
        tx << "DELETE FROM " + t;
    }
    replayer.Write(tx);
}

bool ParseReplayArgs(const std::vector<std::string>& args, ReplayOptions& options) {
    for (const auto& a : args) {
        if (a == "--force") {
            options.force = true;
        } else {
            return false;
        }
    }
    return true;
}

int RunReplay(const config::CommonConfig& cfg,
              const std::vector<db::Migration>& own_migrations,
              const std::string& queue_group,
              EventReplayer& replayer,
              const ReplayOptions& options,
              std::ostream& out,
              std::ostream& progress) {
    log::Init(cfg.service, log::Level::kWarn);
    auto db = db::Database::Open(cfg.database_url, 2);
    db::RunMigrations(
        *db, bus::WithBusMigrations(db->kind() == db::Database::Kind::kPostgres, own_migrations));

    auto connection = ConnectTool(cfg, "replay");
    if (!connection->IsConnected()) {
        progress << "replay " << cfg.service << ": NATS at " << config::MaskCredentials(cfg.nats_url) << " is unreachable\n";
        return 1;
    }
    if (!options.force) {
        auto bound = bus::BoundConsumers(*connection, queue_group);
        if (!bound.empty()) {
            progress << "replay " << cfg.service << ": refused, the service is running ("
                     << bound.front()
                     << " has a subscriber). Stop its replicas first, or pass --force.\n";
            return 1;
        }
        auto backlog = bus::Outbox::Backlog(*db);
        if (backlog > 0) {
            progress << "replay " << cfg.service << ": refused, its outbox holds " << backlog
                     << " event(s) not yet published, which the stream does not know. Start the "
                        "service until they are published, or pass --force.\n";
            return 1;
        }
    }

    const bus::StreamExtent extent = bus::TicketingExtent(*connection);
    ReplaySummary summary;
    const auto start = SteadyClock::now();
    auto last_print = start;
    bus::ReadAll(*connection, 1, options.batch, [&](std::span<const bus::StoredEvent> events) {
        for (const auto& e : events) {
            try {
                if (replayer.Apply(e) == EventReplayer::Outcome::kApplied) {
                    ++summary.applied;
                } else {
                    ++summary.skipped;
                }
            } catch (const events::DecodeError&) {
                ++summary.undecodable;
            }
        }
        summary.read += events.size();
        summary.last_sequence = events.back().sequence;
        if (SteadyClock::now() - last_print > 250ms) {
            PrintProgress(progress, cfg.service, summary, extent.messages, Since(start));
            last_print = SteadyClock::now();
        }
    });
    PrintProgress(progress, cfg.service, summary, extent.messages, Since(start));
    progress << "\nwriting the rebuilt records\n";

    db->Transaction([&](soci::session& tx) {
        ReplaceTables(tx, replayer);
        long long finished = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
        auto last = static_cast<long long>(summary.last_sequence);
        auto read = static_cast<long long>(summary.read);
        auto applied = static_cast<long long>(summary.applied);
        auto skipped = static_cast<long long>(summary.skipped + summary.undecodable);
        tx << "INSERT INTO replay_runs (finished_at, last_sequence, events_read, applied, skipped) "
              "VALUES (:f, :l, :r, :a, :s)",
            soci::use(finished), soci::use(last), soci::use(read), soci::use(applied),
            soci::use(skipped);
    });
    summary.seconds = Since(start);

    char rate[64];
    std::snprintf(rate,
                  sizeof rate,
                  "%.0f",
                  summary.seconds > 0 ? static_cast<double>(summary.read) / summary.seconds : 0.0);
    out << "replay of " << cfg.service << " done: " << summary.read << " events read (stream "
        << extent.first_sequence << ".." << extent.last_sequence << "), " << summary.applied
        << " applied, " << summary.skipped << " skipped, " << summary.undecodable
        << " undecodable, " << rate << " events/s; last sequence applied " << summary.last_sequence
        << "\n";
    return 0;
}

}  // namespace ticketing::service

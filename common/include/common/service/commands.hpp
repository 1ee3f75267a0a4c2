// The command line every service's main() shares: `ticketing-<svc> [serve]` runs the service;
// `replay [--force]` rebuilds its database from the stream (service/replay.hpp); `dump` prints
// the canonical dump of its database (db/dump.hpp). A service offers the commands it has.
// Thread-safety: main() only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/db/dump.hpp"
#include "common/db/migrations.hpp"
#include "common/service/replay.hpp"

namespace ticketing::bus {
class NatsConnection;
}
namespace ticketing::config {
struct CommonConfig;
}

namespace ticketing::service {

struct ServiceCommands {
    std::string service{};      // "tickets"
    std::string queue_group{};  // "tickets-service"
    std::function<int()> serve{};
    // For replay and dump; empty when the service has no database of its own.
    std::vector<db::Migration> migrations{};
    std::function<std::unique_ptr<EventReplayer>()> replayer{};  // a database service's replay
    // A replay of another kind (expiration rebuilds Redis jobs); used when `replayer` is empty.
    std::function<int(const ReplayOptions&)> replay{};
    std::vector<db::TableDump> dump_tables{};  // empty: no dump
    // A service that cannot be replayed says why (`replay` then exits 1 with this reason).
    std::string no_replay{};
};

// Dispatches argv to the commands; prints usage (exit 2) for anything else. Exceptions become
// an exit status as in RunMain.
int RunCommandLine(int argc, char** argv, const ServiceCommands& commands);

// The NATS connection of a command-line tool (replay, dlq): NATS_URL, named
// "<service>-<tool>", waiting up to 10 s for the server. Check IsConnected().
std::unique_ptr<bus::NatsConnection> ConnectTool(const config::CommonConfig& cfg,
                                                 const std::string& tool);

}  // namespace ticketing::service

#include "common/service/commands.hpp"

#include <csignal>
#include <iostream>
#include <memory>

#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/config/env.hpp"
#include "common/db/database.hpp"
#include "common/log/log.hpp"
#include "common/service/dlq_command.hpp"
#include "common/service/service_builder.hpp"

namespace ticketing::service {
namespace {

int Usage(const ServiceCommands& c, std::ostream& out = std::cerr, int code = 2) {
    out << "usage: ticketing-" << c.service << " [serve]";
    if (c.replayer || c.replay) {
        out << " | replay [--force]";
    }
    if (!c.dump_tables.empty()) {
        out << " | dump";
    }
    out << " | dlq list|summary|show|redrive|purge ...";
    out << "\n\nconfiguration comes from the environment (see " << c.service << "/README.md)\n";
    return code;
}

config::CommonConfig ToolConfig(const ServiceCommands& c) {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, c.service, config::CommonConfig::Sessions::kNone);
    env.Finish();
    return cfg;
}

int Dump(const ServiceCommands& c) {
    auto cfg = ToolConfig(c);
    log::Init(c.service, log::Level::kWarn);
    auto db = db::Database::Open(cfg.database_url, 1);
    db::RunMigrations(
        *db, bus::WithBusMigrations(db->kind() == db::Database::Kind::kPostgres, c.migrations));
    db::Dump(*db, c.dump_tables, std::cout);
    return 0;
}

}  // namespace

std::unique_ptr<bus::NatsConnection> ConnectTool(const config::CommonConfig& cfg,
                                                 const std::string& tool) {
    bus::ConnectionOptions co;
    co.url = cfg.nats_url;
    co.user = cfg.nats_user;
    co.password = cfg.nats_password;
    co.name = cfg.service + "-" + tool;
    co.stream_replicas = cfg.nats_stream_replicas;
    co.initial_wait = std::chrono::seconds(10);
    return bus::NatsConnection::Connect(co);
}

int RunCommandLine(int argc, char** argv, const ServiceCommands& c) {
    // A peer that went away (Redis, NATS, PostgreSQL) must give EPIPE, never kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string command = args.empty() ? "serve" : args.front();
    std::vector<std::string> rest = args.empty() ? args : std::vector(args.begin() + 1, args.end());
    if (command == "-h" || command == "--help" || command == "help") {
        return Usage(c, std::cout, 0);
    }
    if (command == "serve" && rest.empty()) {
        return RunMain(c.serve);
    }
    if (command == "replay" && (c.replayer || c.replay)) {
        ReplayOptions options;
        if (!ParseReplayArgs(rest, options)) {
            return Usage(c);
        }
        if (!c.replayer) {
            return RunMain([&] { return c.replay(options); });
        }
        return RunMain([&] {
            auto replayer = c.replayer();
            return RunReplay(ToolConfig(c),
                             c.migrations,
                             c.queue_group,
                             *replayer,
                             options,
                             std::cout,
                             std::cerr);
        });
    }
    if (command == "replay" && !c.no_replay.empty()) {
        std::cerr << "ticketing-" << c.service << " replay: " << c.no_replay << "\n";
        return 1;
    }
    if (command == "dlq") {
        return RunMain(
            [&] { return RunDeadLetterCommand(ToolConfig(c), rest, std::cin, std::cout, std::cerr); });
    }
    if (command == "dump" && !c.dump_tables.empty() && rest.empty()) {
        return RunMain([&] { return Dump(c); });
    }
    return Usage(c);
}

}  // namespace ticketing::service

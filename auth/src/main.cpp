// ticketing-auth: sign up, sign in, sign out, current user (DESIGN.md section 4).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/config/env.hpp"
#include "common/db/database.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/runtime.hpp"
#include "common/util/ids.hpp"

#include "domain/auth_service.hpp"
#include "handlers/handlers.hpp"
#include "storage/migrations.hpp"
#include "storage/user_repository.hpp"

namespace {

using namespace ticketing;

int Serve() {
    config::EnvReader env;
    auto common = config::CommonConfig::FromEnv(env, "auth");
    auto hash_concurrency = env.Int("PASSWORD_HASH_CONCURRENCY", 4, 1, 64);
    env.Finish();

    log::Init("auth", log::ParseLevel(common.log_level).value_or(log::Level::kInfo));
    auto db = db::Database::Open(common.database_url);
    db::RunMigrations(*db, auth_service::Migrations());

    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    auth_service::SqlUserRepository users(*db);
    auth_service::Argon2PasswordHasher hasher(static_cast<std::size_t>(hash_concurrency));
    auth_service::AuthService service(users, hasher, ids, clock);
    auth::SessionSettings session{common.jwt_key, common.session_ttl, &clock};

    metrics::Registry registry;
    http::ServerOptions options;
    options.port = static_cast<std::uint16_t>(common.http_port);
    options.workers = static_cast<std::size_t>(common.http_workers);
    http::Server server(options, auth_service::BuildRouter(service, session), registry);
    server.AddReadinessCheck("database", [&db] { return db->Ping(); });
    server.RunUntilSignal();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    ticketing::http::BlockTerminationSignals();
    std::string command = argc > 1 ? argv[1] : "serve";
    if (command == "replay") {
        std::cerr << "ticketing-auth replay: user records are not in the event log (auth publishes "
                     "no events), so the auth database cannot be rebuilt from it. Back it up "
                     "instead.\n";
        return 1;
    }
    if (command != "serve" || argc > 2) {
        std::cerr << "usage: ticketing-auth [serve|replay]\n";
        return 2;
    }
    return ticketing::service::RunMain(Serve);
}

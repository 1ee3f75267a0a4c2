// ticketing-auth: sign up, sign in, sign out, current user (DESIGN.md section 4).
// Composition root: configuration, adapters, wiring, run. Nothing else.
#include <iostream>
#include <string>

#include "common/auth/jwt.hpp"
#include "common/auth/session.hpp"
#include "common/bus/outbox.hpp"
#include "common/config/env.hpp"
#include "common/http/server.hpp"
#include "common/service/runtime.hpp"
#include "common/util/ids.hpp"

#include "domain/auth_service.hpp"
#include "handlers/handlers.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_session_revoker.hpp"
#include "storage/user_repository.hpp"

namespace {

using namespace ticketing;

// The signing key must be one the public keys know, or no session auth mints would be valid.
void CheckSigningKey(const auth::SessionSettings& session) {
    const auto token = auth::SignJwt("000000000000000000000000",
                                     "check@ticketing.invalid",
                                     *session.signer,
                                     session.clock->Now(),
                                     std::chrono::seconds(60));
    if (!auth::VerifyJwt(token, session.keys, session.clock->Now())) {
        throw std::runtime_error("JWT_PRIVATE_KEY_FILE (kid " + session.signer->kid() +
                                 ") has no matching public key in JWT_PUBLIC_KEYS_DIR");
    }
}

int Serve() {
    config::EnvReader env;
    auto cfg = config::CommonConfig::FromEnv(env, "auth");
    auto hash_concurrency = env.Int("PASSWORD_HASH_CONCURRENCY", 4, 1, 64);
    auto hash_queue = env.Int("PASSWORD_HASH_QUEUE", 32, 0, 4096);
    auto address_rate = env.Int("AUTH_RATE_PER_ADDRESS", 10, 1, 1'000'000);
    auto account_rate = env.Int("AUTH_RATE_PER_ACCOUNT", 10, 1, 1'000'000);
    auto key_file = env.Required("JWT_PRIVATE_KEY_FILE");
    auto key_id = env.Optional("JWT_KEY_ID", "");
    env.Finish();

    service::Runtime rt(cfg, "");  // auth listens to no event; it publishes session:revoked
    rt.OpenDatabase(auth_service::Migrations());
    rt.ConnectBus();
    const auth::SessionSettings session =
        rt.Sessions(auth::SigningKey::FromFile(key_file, std::move(key_id)));
    CheckSigningKey(session);

    util::SystemClock clock;
    util::ObjectIdGenerator ids(clock);
    auth_service::SqlUserRepository users(rt.db());
    auth_service::Argon2PasswordHasher hasher(static_cast<std::size_t>(hash_concurrency),
                                              static_cast<std::size_t>(hash_queue));
    auth_service::AuthService service(users, hasher, ids, clock);
    auth_service::SqlSessionRevoker revoker(rt.db(), clock, [&rt] { rt.relay().Wake(); });
    // Per address: AUTH_RATE_PER_ADDRESS a second, bursts of twice that (the ingress's rule);
    // per account: AUTH_RATE_PER_ACCOUNT sign-ins a minute, bursts of as many.
    auth_service::Throttle per_address(
        static_cast<double>(address_rate), 2.0 * static_cast<double>(address_rate), clock);
    auth_service::Throttle per_account(
        static_cast<double>(account_rate) / 60.0, static_cast<double>(account_rate), clock);
    return rt.Serve(auth_service::BuildRouter(
        {service, session, revoker, per_address, per_account}));
}

}  // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "serve";
    if (command == "replay") {
        std::cerr << "ticketing-auth replay: user records are not in the event log (auth publishes "
                     "only session revocations), so the auth database cannot be rebuilt from it. "
                     "Back it up instead.\n";
        return 1;
    }
    if (command != "serve" || argc > 2) {
        std::cerr << "usage: ticketing-auth [serve|replay]\n";
        return 2;
    }
    return ticketing::service::RunMain(Serve);
}

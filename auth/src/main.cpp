// ticketing-auth: sign up, sign in, sign out, current user (DESIGN.md section 4).
// Composition root: configuration, then the one builder every service uses.
#include "common/auth/jwt.hpp"
#include "common/service/commands.hpp"
#include "common/service/service_builder.hpp"

#include "assembly.hpp"

namespace {

using namespace ticketing;

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
    service::ServiceBuilder builder(cfg, "");  // auth listens to no event
    auth_service::Settings settings;
    settings.hash_concurrency = static_cast<std::size_t>(hash_concurrency);
    settings.hash_queue = static_cast<std::size_t>(hash_queue);
    // Per address: so many a second, bursts of twice that (the ingress's rule); per account:
    // so many sign-ins a minute, bursts of as many.
    settings.per_address = {static_cast<double>(address_rate), 2.0 * static_cast<double>(address_rate)};
    settings.per_account = {static_cast<double>(account_rate) / 60.0, static_cast<double>(account_rate)};
    auth_service::Assemble(
        builder, auth::SigningKey::FromFile(key_file, std::move(key_id)), settings);
    return builder.Serve();
}

}  // namespace

int main(int argc, char** argv) {
    return ticketing::service::RunCommandLine(
        argc,
        argv,
        {.service = "auth",
         .serve = Serve,
         .no_replay = "user records are not in the event log (auth publishes only session "
                      "revocations), so the auth database cannot be rebuilt from it. Back it up "
                      "instead."});
}

#include "assembly.hpp"

#include <chrono>
#include <stdexcept>

#include "common/auth/session.hpp"
#include "common/util/clock.hpp"

#include "domain/password_hasher.hpp"
#include "domain/throttle.hpp"
#include "handlers/handlers.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_session_revoker.hpp"
#include "storage/user_repository.hpp"

namespace ticketing::auth_service {
namespace {

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

}  // namespace

Parts Assemble(service::ServiceBuilder& b, auth::SigningKey signing_key, const Settings& settings) {
    b.OpenDatabase(Migrations());
    b.ConnectBus();
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions(std::move(signing_key)));
    CheckSigningKey(session);
    auto& users = b.Make<SqlUserRepository>(b.db());
    auto& hasher = b.Make<Argon2PasswordHasher>(
        settings.hash_concurrency, settings.hash_queue, settings.hash_limits);
    auto& service = b.Make<AuthService>(users, hasher, b.ids(), b.clock());
    auto& revoker = b.Make<SqlSessionRevoker>(b.db(), b.clock(), b.EventsWritten());
    auto& per_address = b.Make<Throttle>(
        settings.per_address.per_second, settings.per_address.burst, b.clock());
    auto& per_account = b.Make<Throttle>(
        settings.per_account.per_second, settings.per_account.burst, b.clock());
    b.Routes(BuildRouter({service, session, revoker, per_address, per_account}));
    return {service, users};
}

}  // namespace ticketing::auth_service

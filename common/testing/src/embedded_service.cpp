#include "common/testing/embedded_service.hpp"

#include "common/testing/postgres_server.hpp"
#include "common/testing/session_keys.hpp"

namespace ticketing::test {

config::CommonConfig EmbeddedServiceConfig(const std::string& service,
                                           const std::string& nats_url,
                                           const std::string& database_url) {
    config::CommonConfig cfg;
    cfg.service = service;
    cfg.jwt_public_keys_dir = SessionKeys().public_keys_dir;
    cfg.nats_url = nats_url;
    cfg.http_address = "127.0.0.1";
    cfg.database_url = database_url;
    cfg.http_port = 0;
    cfg.log_level = "error";
    return cfg;
}

std::string TestDatabaseUrl(const std::string& backend,
                            const TempDir& dir,
                            const std::string& name) {
    if (backend == "Postgres") {
        auto& pg = PostgresServer::Shared();
        return pg.Url(pg.CreateUniqueDatabase(name));
    }
    return "sqlite://" + (dir.Path() / (name + ".db")).string();
}

}  // namespace ticketing::test

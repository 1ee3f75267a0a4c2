// What a fixture needs to build a service in the test process exactly as its main() does, with
// service::ServiceBuilder in Mode::kEmbedded: the configuration (loopback, a free port, quiet
// logs, the test session keys) and a database URL for the backend the test runs on.
// Thread-safety: plain functions.
#pragma once

#include <string>

#include "common/config/env.hpp"
#include "common/testing/process.hpp"

namespace ticketing::test {

// The service on 127.0.0.1 and HTTP port 0, logging errors only, checking sessions with the
// test keys (test::SessionKeys), on `nats_url` and `database_url` (may be empty).
config::CommonConfig EmbeddedServiceConfig(const std::string& service,
                                           const std::string& nats_url,
                                           const std::string& database_url = "");

// "Postgres": a fresh database `name_<n>` on the shared PostgreSQL server; anything else: a
// SQLite file `name.db` in `dir`.
std::string TestDatabaseUrl(const std::string& backend,
                            const TempDir& dir,
                            const std::string& name);

}  // namespace ticketing::test

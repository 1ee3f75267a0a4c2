// PostgresServer: a real PostgreSQL for integration tests, in a TempDir, listening on 127.0.0.1
// at a free port with trust authentication for the role `ticketing` (DESIGN.md section 7).
// initdb and postgres come from `pg_config --bindir` (else the highest /usr/lib/postgresql/*/bin);
// PostgreSQL refuses to run as root, so as root the data directory belongs to `postgres` and the
// programs run as that user. Stopped (fast shutdown) on destruction, and killed with the test
// process if that dies first.
//
//   auto& pg = ticketing::test::PostgresServer::Shared();   // started once per test process
//   auto db = ticketing::db::Database::Open(pg.Url(pg.CreateUniqueDatabase("things")));
//
// Thread-safety: CreateDatabase, CreateUniqueDatabase, Url and Port are safe from any thread;
// Stop and Start are for the owning test thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/testing/process.hpp"

namespace ticketing::test {

class PostgresServer final {
public:
    // Runs initdb and starts the server; returns once it accepts connections. Throws
    // std::runtime_error (with the end of the server's log) when it does not within 60 s.
    PostgresServer();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // One server shared by all the tests of this process, started on first use and stopped at
    // exit. (ctest runs each test case in its own process, so keep per-test state in separate
    // databases, not in the server.)
    static PostgresServer& Shared();

    std::uint16_t Port() const { return port_; }
    // postgresql://ticketing@127.0.0.1:<port>/<dbname>, accepted by db::Database::Open.
    std::string Url(const std::string& dbname) const;
    // CREATE DATABASE <name>; name: lowercase letters, digits and '_'.
    void CreateDatabase(const std::string& name);
    // Creates "<prefix>_<n>" with n unique in this process, and returns that name.
    std::string CreateUniqueDatabase(const std::string& prefix);

    // Fast shutdown (clients are disconnected); the data directory stays.
    void Stop();
    // Starts the server again on the same port and data directory.
    void Start();
    bool Running() const { return server_ != nullptr; }

private:
    void RunInitdb();

    TempDir dir_;
    std::filesystem::path bindir_;
    std::filesystem::path data_dir_;
    std::filesystem::path socket_dir_;
    std::string run_as_user_;  // "postgres" when running as root
    std::uint16_t port_ = 0;
    std::unique_ptr<ChildProcess> server_;
};

}  // namespace ticketing::test

#include "common/testing/postgres_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "common/db/sql.hpp"

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;
constexpr auto kStopGrace = 30s;
constexpr std::string_view kRole = "ticketing";

std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

std::string LogTail(const std::string& log, std::size_t max_chars = 4000) {
    return log.size() <= max_chars ? log : log.substr(log.size() - max_chars);
}

std::filesystem::path FindBindir() {
    // pg_config names the server's bindir; fall back to the highest installed major version.
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen("pg_config --bindir 2>/dev/null", "r"),
                                               &::pclose);
    if (pipe) {
        std::array<char, 512> buffer{};
        std::string out;
        while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) {
            out += buffer.data();
        }
        const std::filesystem::path dir = Trim(out);
        if (!dir.empty() && std::filesystem::exists(dir / "initdb")) {
            return dir;
        }
    }
    std::filesystem::path best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) {
            continue;
        }
        const int version = std::stoi(name);
        if (version > best_version && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
            best_version = version;
            best = entry.path() / "bin";
        }
    }
    if (best.empty()) {
        throw std::runtime_error(
            "PostgresServer: no initdb found (pg_config --bindir, /usr/lib/postgresql/*/bin)");
    }
    return best;
}

void ChownTo(const std::filesystem::path& path, const std::string& user) {
    const passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr || ::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error("PostgresServer: cannot give " + path.string() + " to " + user);
    }
}

bool IsValidName(const std::string& name) {
    return !name.empty() && name.size() < 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string AdminConnectString(std::uint16_t port) {
    return "host=127.0.0.1 port=" + std::to_string(port) + " user=" + std::string(kRole) +
           " dbname=postgres connect_timeout=5";
}

}  // namespace

PostgresServer::PostgresServer()
    : dir_("ticketing-pg-"),
      bindir_(FindBindir()),
      data_dir_(dir_.Path() / "data"),
      socket_dir_(dir_.Path() / "sock") {
    std::filesystem::create_directory(socket_dir_);
    if (::geteuid() == 0) {
        // PostgreSQL refuses to run as root: let the `postgres` user own its directories.
        run_as_user_ = "postgres";
        ChownTo(dir_.Path(), run_as_user_);
        ChownTo(socket_dir_, run_as_user_);
    }
    RunInitdb();
    port_ = FreePort();
    Start();
}

PostgresServer::~PostgresServer() {
    Stop();
}

PostgresServer& PostgresServer::Shared() {
    static PostgresServer server;
    return server;
}

void PostgresServer::RunInitdb() {
    ChildProcess::Options options;
    options.argv = {(bindir_ / "initdb").string(),
                    "-A",
                    "trust",
                    "-U",
                    std::string(kRole),
                    "-D",
                    data_dir_.string(),
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync"};
    options.log_file = dir_.Path() / "initdb.log";
    options.run_as_user = run_as_user_;
    ChildProcess initdb(std::move(options));
    const std::optional<int> code = initdb.Wait(kStartDeadline);
    if (code != 0) {
        throw std::runtime_error("PostgresServer: initdb failed:\n" + LogTail(initdb.ReadLog()));
    }
}

void PostgresServer::Start() {
    if (server_) {
        return;
    }
    ChildProcess::Options options;
    options.argv = {(bindir_ / "postgres").string(),
                    "-D",
                    data_dir_.string(),
                    "-p",
                    std::to_string(port_),
                    "-k",
                    socket_dir_.string(),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200"};
    options.log_file = dir_.Path() / "postgres.log";
    options.run_as_user = run_as_user_;
    auto server = std::make_unique<ChildProcess>(std::move(options));

    const std::string conninfo = AdminConnectString(port_);
    const bool ready = WaitUntil(
        [&] {
            // PQping: "accepting connections" without logging in or printing anything.
            return !server->Running() || PQping(conninfo.c_str()) == PQPING_OK;
        },
        kStartDeadline);
    if (!ready || !server->Running()) {
        const std::string log = server->ReadLog();
        server->Stop(SIGQUIT, kStopGrace);
        throw std::runtime_error("PostgresServer: server did not start on port " +
                                 std::to_string(port_) + ":\n" + LogTail(log));
    }
    server_ = std::move(server);
}

void PostgresServer::Stop() {
    if (server_) {
        // SIGINT is PostgreSQL's fast shutdown: it disconnects clients (pooled sessions of the
        // tests) instead of waiting for them as SIGTERM's smart shutdown would.
        server_->Stop(SIGINT, kStopGrace);
        server_.reset();
    }
}

std::string PostgresServer::Url(const std::string& dbname) const {
    return "postgresql://" + std::string(kRole) + "@127.0.0.1:" + std::to_string(port_) + "/" +
           dbname;
}

void PostgresServer::CreateDatabase(const std::string& name) {
    if (!IsValidName(name)) {
        throw std::invalid_argument("PostgresServer: bad database name '" + name + "'");
    }
    // CREATE DATABASE copies template1 and fails if another session is copying it meanwhile.
    static std::mutex create_mutex;
    std::lock_guard lock(create_mutex);
    auto admin = db::Database::Open(Url("postgres"), 1);
    // Not in a transaction: CREATE DATABASE refuses to run inside one.
    admin->WithSession([&](soci::session& s) { s << "CREATE DATABASE \"" + name + "\""; });
}

std::string PostgresServer::CreateUniqueDatabase(const std::string& prefix) {
    static std::atomic<int> counter{0};
    const std::string name = prefix + "_" + std::to_string(++counter);
    CreateDatabase(name);
    return name;
}

}  // namespace ticketing::test

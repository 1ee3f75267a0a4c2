// EnvReader: reads a service's configuration from environment variables once, in main()
// (DESIGN.md section 10), recording every problem so that Finish() reports them all at once;
// CommonConfig: the settings every service shares. Service-specific variables
// (EXPIRATION_WINDOW_SECONDS, PAYMENT_GATEWAY, ...) are read by each service with the same
// EnvReader before it calls Finish().
// Secrets: problems name variables, never their values.
// Thread-safety: none; use from one thread (main) only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ticketing::config {

// Thrown by EnvReader::Finish: what() lists every problem, one per line.
class ConfigError final : public std::runtime_error {
public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

class EnvReader final {
public:
    // Returns the variable's value, or nullopt when it is not set.
    using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

    // Reads the process environment (getenv).
    EnvReader();
    // Reads through `lookup`; tests pass a map.
    explicit EnvReader(Lookup lookup);

    // The value; when unset or empty records "<NAME> must be defined" and returns "".
    std::string Required(const std::string& name);
    // The value, or `default_value` when unset or empty.
    std::string Optional(const std::string& name, std::string default_value);
    // A decimal integer (optional '-', digits; nothing else) within [min, max], or `default_value`
    // when unset or empty. Otherwise records "<NAME> must be an integer between <min> and <max>"
    // (or "... of at least <min>" when max is the largest int64) and returns default_value.
    std::int64_t Int(const std::string& name,
                     std::int64_t default_value,
                     std::int64_t min,
                     std::int64_t max);
    // One of `allowed` (exact match), or `default_value` when unset or empty. Otherwise records
    // "<NAME> must be one of a, b, c" and returns default_value.
    std::string OneOf(const std::string& name,
                      std::string default_value,
                      std::initializer_list<std::string_view> allowed);

    // Records a problem found by the caller's own checks (say "<NAME> must ..."; no values).
    void AddProblem(std::string problem);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

    // Throws ConfigError listing every recorded problem, if any.
    void Finish() const;

private:
    // The value, with unset and empty both as nullopt.
    std::optional<std::string> Get(const std::string& name) const;

    Lookup lookup_;
    std::vector<std::string> problems_;
};

// What every service reads (DESIGN.md section 10).
struct CommonConfig {
    std::string service;
    // JWT_PUBLIC_KEYS_DIR: the directory of <kid>.pem public keys sessions are checked with
    // (DESIGN.md section 13); required by the services that check sessions.
    std::string jwt_public_keys_dir;
    std::string nats_url;      // NATS_URL, default nats://127.0.0.1:4222 (credentials in it are
                               // accepted and masked wherever it is logged)
    std::string nats_user;     // NATS_USER: the service's own NATS user (optional)
    std::string nats_password; // NATS_PASSWORD: required when NATS_USER is set
    std::string http_address;  // HTTP_ADDRESS, default 0.0.0.0 (the local stack: 127.0.0.1)
    // HTTP_UNIX_SOCKET: a Unix socket path the service also listens on (http::ServerOptions);
    // the local stack's ingress reaches the replicas there. Empty (the default): none.
    std::string http_unix_socket;
    std::string database_url;  // DATABASE_URL, default sqlite://<data dir>/<service>.db where the
                               // data dir is TICKETING_DATA_DIR or ./.data
    std::string redis_url;     // REDIS_URL, default redis://127.0.0.1:6379; may carry
                               // user:password@ (a Redis ACL user)
    int http_port = 3000;      // HTTP_PORT, 1..65535
    std::string log_level;     // LOG_LEVEL, default info; one of trace, debug, info, warn, error
    std::chrono::seconds session_ttl{86400};  // SESSION_TTL_SECONDS, 1..31536000 (one year)
    // NATS_RETRY_HORIZON_SECONDS, 1..2592000 (30 days): a "not yet" event older than this is
    // dead-lettered (DESIGN.md section 5); dependency failures are never.
    std::chrono::seconds nats_retry_horizon{3600};
    // INBOX_RETENTION_SECONDS, 60..31536000: inbox rows older than this are pruned (7 days).
    std::chrono::seconds inbox_retention{604800};
    // OUTBOX_PUBLISH_ON_COMMIT, on (the default) or off: on SQLite, a commit's events leave from
    // the committing thread while the relay is caught up (bus::RelayOptions::publish_on_commit).
    bool outbox_publish_on_commit = true;
    int http_workers = 16;                    // HTTP_WORKERS, 1..1024
    int http_io_threads = 2;                  // HTTP_IO_THREADS, 1..64
    // HTTP_INLINE_READS: where a route that reads one row runs (ServiceBuilder::ReadDispatch):
    // "on" the I/O thread, "off" on a worker, "auto" (the default) on the I/O thread when the
    // database is on this machine.
    std::string http_inline_reads = "auto";
    int nats_stream_replicas = 1;             // NATS_STREAM_REPLICAS, 1..5 (3 on a NATS cluster)

    // Reads the variables above, recording problems in `env` without throwing: the caller reads
    // its own variables, then calls env.Finish() so that every problem is reported together.
    // kNone: a service or command that checks no sessions (expiration; replay, dump) neither
    // needs nor reads JWT_PUBLIC_KEYS_DIR.
    enum class Sessions { kVerified, kNone };
    static CommonConfig FromEnv(EnvReader& env,
                                std::string service,
                                Sessions sessions = Sessions::kVerified);
};

// The URL (or comma-separated list of URLs) with every password replaced by "***"
// ("nats://tickets:***@nats:4222"): what logs and error messages show.
std::string MaskCredentials(std::string_view urls);

}  // namespace ticketing::config

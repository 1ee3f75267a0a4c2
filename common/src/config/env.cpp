#include "common/config/env.hpp"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <utility>

namespace ticketing::config {
namespace {


std::string JoinLines(const std::vector<std::string>& lines) {
    std::string out = "invalid configuration:";
    for (const auto& line : lines) {
        out += '\n';
        out += line;
    }
    return out;
}

std::optional<std::string> ProcessEnvLookup(const std::string& name) {
    // getenv is only safe while nobody calls setenv; main reads configuration before any thread.
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(JoinLines(problems)), problems_(std::move(problems)) {}

EnvReader::EnvReader() : EnvReader(ProcessEnvLookup) {}

EnvReader::EnvReader(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> EnvReader::Get(const std::string& name) const {
    auto value = lookup_(name);
    if (!value || value->empty()) {
        return std::nullopt;
    }
    return value;
}

std::string EnvReader::Required(const std::string& name) {
    auto value = Get(name);
    if (!value) {
        AddProblem(name + " must be defined");
        return {};
    }
    return std::move(*value);
}

std::string EnvReader::Optional(const std::string& name, std::string default_value) {
    auto value = Get(name);
    return value ? std::move(*value) : std::move(default_value);
}

std::int64_t EnvReader::Int(const std::string& name,
                            std::int64_t default_value,
                            std::int64_t min,
                            std::int64_t max) {
    const auto value = Get(name);
    if (!value) {
        return default_value;
    }
    std::int64_t parsed = 0;
    const char* begin = value->data();
    const char* end = begin + value->size();
    const auto [ptr, ec] = std::from_chars(begin, end, parsed);
    if (ec != std::errc{} || ptr != end || parsed < min || parsed > max) {
        if (max == std::numeric_limits<std::int64_t>::max()) {
            AddProblem(name + " must be an integer of at least " + std::to_string(min));
        } else {
            AddProblem(name + " must be an integer between " + std::to_string(min) + " and " +
                       std::to_string(max));
        }
        return default_value;
    }
    return parsed;
}

std::string EnvReader::OneOf(const std::string& name,
                             std::string default_value,
                             std::initializer_list<std::string_view> allowed) {
    auto value = Get(name);
    if (!value) {
        return default_value;
    }
    for (const auto candidate : allowed) {
        if (*value == candidate) {
            return std::move(*value);
        }
    }
    std::string problem = name + " must be one of ";
    bool first = true;
    for (const auto candidate : allowed) {
        if (!first) {
            problem += ", ";
        }
        problem += candidate;
        first = false;
    }
    AddProblem(std::move(problem));
    return default_value;
}

void EnvReader::AddProblem(std::string problem) {
    problems_.push_back(std::move(problem));
}

void EnvReader::Finish() const {
    if (!problems_.empty()) {
        throw ConfigError(problems_);
    }
}

CommonConfig CommonConfig::FromEnv(EnvReader& env, std::string service, Sessions sessions) {
    CommonConfig config;
    if (sessions == Sessions::kVerified) {
        config.jwt_public_keys_dir = env.Required("JWT_PUBLIC_KEYS_DIR");
    }
    config.nats_url = env.Optional("NATS_URL", "nats://127.0.0.1:4222");
    config.nats_user = env.Optional("NATS_USER", "");
    config.nats_password = env.Optional("NATS_PASSWORD", "");
    if (!config.nats_user.empty() && config.nats_password.empty()) {
        env.AddProblem("NATS_PASSWORD must be defined when NATS_USER is");
    }
    config.http_address = env.Optional("HTTP_ADDRESS", "0.0.0.0");
    config.http_unix_socket = env.Optional("HTTP_UNIX_SOCKET", "");
    std::string data_dir = env.Optional("TICKETING_DATA_DIR", "./.data");
    while (data_dir.size() > 1 && data_dir.back() == '/') {
        data_dir.pop_back();
    }
    // "sqlite://" + "/abs/dir" gives sqlite:///abs/dir/...; a relative dir stays relative.
    config.database_url = env.Optional(
        "DATABASE_URL",
        "sqlite://" + (data_dir == "/" ? std::string() : data_dir) + "/" + service + ".db");
    config.redis_url = env.Optional("REDIS_URL", "redis://127.0.0.1:6379");
    config.http_port = static_cast<int>(env.Int("HTTP_PORT", 3000, 1, 65535));
    config.log_level = env.OneOf("LOG_LEVEL", "info", {"trace", "debug", "info", "warn", "error"});
    config.session_ttl = std::chrono::seconds(env.Int("SESSION_TTL_SECONDS", 86400, 1, 31'536'000));
    config.nats_retry_horizon =
        std::chrono::seconds(env.Int("NATS_RETRY_HORIZON_SECONDS", 3600, 1, 2'592'000));
    config.inbox_retention =
        std::chrono::seconds(env.Int("INBOX_RETENTION_SECONDS", 604'800, 60, 31'536'000));
    config.outbox_publish_on_commit =
        env.OneOf("OUTBOX_PUBLISH_ON_COMMIT", "on", {"on", "off"}) == "on";
    config.http_workers = static_cast<int>(env.Int("HTTP_WORKERS", 16, 1, 1024));
    config.http_io_threads = static_cast<int>(env.Int("HTTP_IO_THREADS", 2, 1, 64));
    config.http_inline_reads = env.OneOf("HTTP_INLINE_READS", "auto", {"auto", "on", "off"});
    config.nats_stream_replicas = static_cast<int>(env.Int("NATS_STREAM_REPLICAS", 1, 1, 5));
    config.service = std::move(service);
    return config;
}

std::string MaskCredentials(std::string_view urls) {
    std::string out;
    std::size_t start = 0;
    while (start <= urls.size()) {
        auto comma = urls.find(',', start);
        auto url = urls.substr(start, comma == std::string_view::npos ? comma : comma - start);
        // scheme://user:password@host...: the userinfo ends at the last '@' before the path.
        const auto scheme = url.find("://");
        const auto authority_start = scheme == std::string_view::npos ? 0 : scheme + 3;
        const auto path = url.find('/', authority_start);
        const auto authority = url.substr(
            authority_start, path == std::string_view::npos ? path : path - authority_start);
        const auto at = authority.rfind('@');
        if (at != std::string_view::npos) {
            const auto userinfo = authority.substr(0, at);
            const auto colon = userinfo.find(':');
            out += std::string(url.substr(0, authority_start));
            // A userinfo without ':' is a token (NATS token auth): all of it is secret.
            out += colon == std::string_view::npos ? std::string("***")
                                                   : std::string(userinfo.substr(0, colon)) + ":***";
            out += std::string(url.substr(authority_start + at));
        } else {
            out += std::string(url);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        out += ',';
        start = comma + 1;
    }
    return out;
}

}  // namespace ticketing::config

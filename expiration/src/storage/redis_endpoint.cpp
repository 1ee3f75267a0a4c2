#include "storage/redis_endpoint.hpp"

#include <charconv>

namespace ticketing::expiration {
namespace {

constexpr std::string_view kScheme = "redis://";

// A decimal number without sign or spaces within [min, max].
std::optional<long> ParseNumber(std::string_view text, long min, long max) {
    if (text.empty() || text.size() > 9) {
        return std::nullopt;
    }
    long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<RedisEndpoint> ParseRedisUrl(std::string_view url) {
    if (!url.starts_with(kScheme)) {
        return std::nullopt;
    }
    std::string_view rest = url.substr(kScheme.size());
    std::string_view authority = rest;
    std::string_view path;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        authority = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    RedisEndpoint endpoint;
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos || colon + 1 == userinfo.size()) {
            return std::nullopt;
        }
        endpoint.user = std::string(userinfo.substr(0, colon));
        endpoint.password = std::string(userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
    }
    std::string_view port_text;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1) {
            return std::nullopt;
        }
        endpoint.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (!after.starts_with(':')) {
                return std::nullopt;
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                return std::nullopt;
            }
        }
    } else {
        auto colon = authority.find(':');
        endpoint.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                return std::nullopt;
            }
        }
    }
    if (endpoint.host.empty()) {
        return std::nullopt;
    }
    if (!port_text.empty()) {
        auto port = ParseNumber(port_text, 1, 65535);
        if (!port) {
            return std::nullopt;
        }
        endpoint.port = static_cast<std::uint16_t>(*port);
    }
    if (!path.empty()) {
        auto db = ParseNumber(path, 0, 1'000'000);
        if (!db) {
            return std::nullopt;
        }
        endpoint.db = static_cast<int>(*db);
    }
    return endpoint;
}

std::string Describe(const RedisEndpoint& endpoint) {
    bool ipv6 = endpoint.host.find(':') != std::string::npos;
    return (endpoint.user.empty() ? "" : endpoint.user + "@") +
           (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
           std::to_string(endpoint.port) + "/" + std::to_string(endpoint.db);
}

bool IsEvictingPolicy(std::string_view maxmemory_policy) {
    return maxmemory_policy != "noeviction";
}

}  // namespace ticketing::expiration

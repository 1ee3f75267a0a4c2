// Where the job queue's Redis is (REDIS_URL) and what its server settings mean for the jobs.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ticketing::expiration {

struct RedisEndpoint {
    std::string host;
    std::uint16_t port = 6379;
    int db = 0;

    bool operator==(const RedisEndpoint&) const = default;
};

// Parses "redis://host[:port][/db]" (host may be a bracketed IPv6 address; port defaults to
// 6379, db to 0). nullopt for anything else, including credentials, which are not supported.
std::optional<RedisEndpoint> ParseRedisUrl(std::string_view url);

// "host:port/db", for logs.
std::string Describe(const RedisEndpoint& endpoint);

// True for every maxmemory-policy but "noeviction": allkeys-* would drop jobs under memory
// pressure, and volatile-* says the Redis is being run as a cache (DESIGN.md section 6 asks for
// noeviction).
bool IsEvictingPolicy(std::string_view maxmemory_policy);

}  // namespace ticketing::expiration

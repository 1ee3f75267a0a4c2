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
    std::string user;      // a Redis ACL user; empty: "default"
    std::string password;  // empty: no AUTH

    bool operator==(const RedisEndpoint&) const = default;
};

// Parses "redis://[[user]:password@]host[:port][/db]" (host may be a bracketed IPv6 address;
// port defaults to 6379, db to 0; user and password are taken as written, so they must not
// hold '@', ':' or '/'). nullopt for anything else, including a user without a password.
std::optional<RedisEndpoint> ParseRedisUrl(std::string_view url);

// "[user@]host:port/db", for logs: never the password.
std::string Describe(const RedisEndpoint& endpoint);

// True for every maxmemory-policy but "noeviction": allkeys-* would drop jobs under memory
// pressure, and volatile-* says the Redis is being run as a cache (DESIGN.md section 6 asks for
// noeviction).
bool IsEvictingPolicy(std::string_view maxmemory_policy);

}  // namespace ticketing::expiration

// RawExchange: one exchange of raw bytes with a server on loopback, beneath any client library,
// for tests that must send what no client would (a malformed HTTP request) or ask a server
// before its client can (redis-server's PING while it loads its AOF). Used by the HTTP server's
// tests, RedisServer and the chaos tool.
// Thread-safety: a free function, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ticketing::test {

// Connects to 127.0.0.1:port, sends `bytes`, and reads until `complete(what arrived so far)`
// holds (when given), the server closes the connection, or no byte comes for `read_timeout`.
// Returns what arrived: empty when the connection or the send failed.
std::string RawExchange(std::uint16_t port,
                        std::string_view bytes,
                        std::chrono::milliseconds read_timeout,
                        const std::function<bool(std::string_view)>& complete = {});

// The same through the Unix socket at path `unix_socket` (http::ServerOptions::unix_socket).
std::string RawExchange(const std::string& unix_socket,
                        std::string_view bytes,
                        std::chrono::milliseconds read_timeout,
                        const std::function<bool(std::string_view)>& complete = {});

}  // namespace ticketing::test

// HttpClient: a small blocking HTTP/1.1 client on libcurl for integration and end-to-end tests
// (a real client talking to a real server on loopback). Keeps one connection alive per client.
// Thread-safety: one client per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ticketing::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
    long status = 0;  // 0 when no response came (connection refused, reset, timeout)
    std::string body;
    Headers headers;
    std::string error;  // curl's message when status is 0

    std::optional<std::string> Header(std::string_view name) const;
    std::vector<std::string> HeaderValues(std::string_view name) const;
    nlohmann::json Json() const;  // the body parsed; throws if it is not JSON
};

class HttpClient {
public:
    explicit HttpClient(std::string base_url);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResult Get(const std::string& path, const Headers& headers = {});
    HttpResult Delete(const std::string& path, const Headers& headers = {});
    // JSON body with Content-Type: application/json unless headers name another one.
    HttpResult Post(const std::string& path, const std::string& body, const Headers& headers = {});
    HttpResult Put(const std::string& path, const std::string& body, const Headers& headers = {});
    HttpResult Send(const std::string& method,
                    const std::string& path,
                    const std::optional<std::string>& body,
                    const Headers& headers);

    void SetTimeout(long ms) { timeout_ms_ = ms; }
    // Connects through this Unix socket instead (the base URL's host and port are only sent in
    // the Host header), e.g. a service's http::ServerOptions::unix_socket.
    void UseUnixSocket(std::string path) { unix_socket_ = std::move(path); }

private:
    std::string base_url_;
    long timeout_ms_ = 30'000;
    std::string unix_socket_;
    struct CurlDeleter {
        void operator()(void* handle) const;
    };
    std::unique_ptr<void, CurlDeleter> curl_;
};

// "name=value" of a Set-Cookie header (what a browser would send back), or "" if absent.
std::string CookiePair(const HttpResult& result, std::string_view name);

}  // namespace ticketing::test

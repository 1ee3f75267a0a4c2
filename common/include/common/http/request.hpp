// Request: what a route handler sees of an HTTP request. Built by the server from RESTinio's
// request so that service code never includes RESTinio or asio.
// Thread-safety: owned by the one worker thread that runs the handler; not shared.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ticketing::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };

std::string_view MethodName(Method m);

class Request {
public:
    Request() = default;
    Request(Method method,
            std::string path,
            std::string query,
            std::vector<std::pair<std::string, std::string>> headers,
            std::string body);

    Method method() const noexcept { return method_; }
    // Decoded path without the query string, e.g. "/api/tickets/abc".
    const std::string& path() const noexcept { return path_; }
    const std::string& body() const noexcept { return body_; }

    // Header lookup, case-insensitive; the first value if repeated.
    std::optional<std::string_view> Header(std::string_view name) const;
    // A cookie's value from the Cookie header(s); nullopt when absent.
    std::optional<std::string> Cookie(std::string_view name) const;
    // A query-string parameter, percent-decoded; nullopt when absent.
    std::optional<std::string> Query(std::string_view name) const;
    // A route parameter (":id" in the pattern); empty when the route has none of that name.
    const std::string& Param(std::string_view name) const;
    // True when the client reached the ingress over HTTPS (X-Forwarded-Proto: https).
    bool IsHttps() const;

    // The body as a JSON object. Empty body → {}. Throws UnsupportedMediaTypeError (415) when a
    // non-empty body is not application/json, BadRequestError (400) when it is not valid JSON
    // or not an object. Parsed once, then cached.
    const nlohmann::json& JsonBody() const;

    // Set by the server.
    const std::string& request_id() const noexcept { return request_id_; }
    const std::string& trace_id() const noexcept { return trace_id_; }
    // The W3C traceparent of this request (taken from the client or made by the server).
    const std::string& traceparent() const noexcept { return traceparent_; }
    void SetRequestContext(std::string request_id, std::string traceparent);
    void SetParams(std::map<std::string, std::string, std::less<>> params) {
        params_ = std::move(params);
    }
    // The address of the peer that connected (the ingress, behind one).
    const std::string& peer_address() const noexcept { return peer_address_; }
    void SetPeerAddress(std::string address) { peer_address_ = std::move(address); }
    // The client's address: the last X-Forwarded-For entry (the one our ingress appended) when
    // there is one, else the peer's. Services are reachable only through the ingress (they bind
    // 127.0.0.1 locally; NetworkPolicies in Kubernetes), so that entry is the ingress's word.
    std::string ClientAddress() const;

    ~Request();
    Request(Request&&) noexcept;
    Request& operator=(Request&&) noexcept;

private:
    Method method_ = Method::kGet;
    std::string path_;
    std::string query_;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::string body_;
    std::map<std::string, std::string, std::less<>> params_;
    std::string request_id_;
    std::string trace_id_;
    std::string traceparent_;
    std::string peer_address_;
    mutable std::unique_ptr<nlohmann::json> json_;
};

}  // namespace ticketing::http

#include "common/testing/http_client.hpp"

#include <algorithm>
#include <cctype>

#include <curl/curl.h>

namespace ticketing::test {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<HttpResult*>(user)->body.append(data, size * n);
    return size * n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
    auto* result = static_cast<HttpResult*>(user);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        result->headers.clear();  // a new response (after 100-continue or a redirect)
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
            value.remove_prefix(1);
        }
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.remove_suffix(1);
        }
        result->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    return size * n;
}

struct GlobalInit {
    GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

std::optional<std::string> HttpResult::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (IEquals(k, name)) {
            return v;
        }
    }
    return std::nullopt;
}

std::vector<std::string> HttpResult::HeaderValues(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
        if (IEquals(k, name)) {
            out.push_back(v);
        }
    }
    return out;
}

nlohmann::json HttpResult::Json() const {
    return nlohmann::json::parse(body);
}

void HttpClient::CurlDeleter::operator()(void* handle) const {
    curl_easy_cleanup(static_cast<CURL*>(handle));
}

HttpClient::HttpClient(std::string base_url) : base_url_(std::move(base_url)) {
    static GlobalInit init;
    curl_.reset(curl_easy_init());
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::Get(const std::string& path, const Headers& headers) {
    return Send("GET", path, std::nullopt, headers);
}

HttpResult HttpClient::Delete(const std::string& path, const Headers& headers) {
    return Send("DELETE", path, std::nullopt, headers);
}

HttpResult HttpClient::Post(const std::string& path,
                            const std::string& body,
                            const Headers& headers) {
    return Send("POST", path, body, headers);
}

HttpResult HttpClient::Put(const std::string& path,
                           const std::string& body,
                           const Headers& headers) {
    return Send("PUT", path, body, headers);
}

HttpResult HttpClient::Send(const std::string& method,
                            const std::string& path,
                            const std::optional<std::string>& body,
                            const Headers& headers) {
    HttpResult result;
    CURL* curl = static_cast<CURL*>(curl_.get());
    curl_easy_reset(curl);
    std::string url = base_url_ + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
    if (!unix_socket_.empty()) {
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, unix_socket_.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);
    if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    curl_slist* list = nullptr;
    bool has_type = false;
    for (const auto& [k, v] : headers) {
        has_type = has_type || IEquals(k, "content-type");
        list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    if (body) {
        if (!has_type) {
            list = curl_slist_append(list, "Content-Type: application/json");
        }
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    } else {
        result.status = 0;
        result.error = curl_easy_strerror(rc);
    }
    curl_slist_free_all(list);
    return result;
}

std::string CookiePair(const HttpResult& result, std::string_view name) {
    for (const auto& v : result.HeaderValues("set-cookie")) {
        std::string_view sv = v;
        auto semi = sv.find(';');
        std::string_view pair = sv.substr(0, semi);
        auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            return std::string(pair);
        }
    }
    return "";
}

}  // namespace ticketing::test

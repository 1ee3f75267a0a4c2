#include "common/http/request.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/http/errors.hpp"
#include "common/util/percent_decode.hpp"

namespace ticketing::http {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

std::string_view MethodName(Method m) {
    switch (m) {
        case Method::kGet:
            return "GET";
        case Method::kPost:
            return "POST";
        case Method::kPut:
            return "PUT";
        case Method::kPatch:
            return "PATCH";
        case Method::kDelete:
            return "DELETE";
        case Method::kHead:
            return "HEAD";
        case Method::kOptions:
            return "OPTIONS";
        case Method::kOther:
            return "OTHER";
    }
    return "OTHER";
}

Request::Request(Method method,
                 std::string path,
                 std::string query,
                 std::vector<std::pair<std::string, std::string>> headers,
                 std::string body)
    : method_(method),
      path_(std::move(path)),
      query_(std::move(query)),
      headers_(std::move(headers)),
      body_(std::move(body)) {}

Request::~Request() = default;
Request::Request(Request&&) noexcept = default;
Request& Request::operator=(Request&&) noexcept = default;

std::optional<std::string_view> Request::Header(std::string_view name) const {
    for (const auto& [k, v] : headers_) {
        if (IEquals(k, name)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
    for (const auto& [k, v] : headers_) {
        if (!IEquals(k, "cookie")) {
            continue;
        }
        std::string_view rest = v;
        while (!rest.empty()) {
            auto semi = rest.find(';');
            std::string_view pair = Trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos) {
                continue;
            }
            if (Trim(pair.substr(0, eq)) == name) {
                std::string_view value = Trim(pair.substr(eq + 1));
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                    value = value.substr(1, value.size() - 2);
                }
                return std::string(value);
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> Request::Query(std::string_view name) const {
    std::string_view rest = query_;
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto eq = pair.find('=');
        std::string key = util::FormDecode(pair.substr(0, eq));
        if (key == name) {
            return eq == std::string_view::npos ? std::string()
                                                : util::FormDecode(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

const std::string& Request::Param(std::string_view name) const {
    static const std::string kEmpty;
    auto it = params_.find(name);
    return it == params_.end() ? kEmpty : it->second;
}

bool Request::IsHttps() const {
    auto proto = Header("x-forwarded-proto");
    if (!proto) {
        return false;
    }
    // A chain of proxies appends: the first value is the client's.
    std::string_view first = Trim(proto->substr(0, proto->find(',')));
    return IEquals(first, "https");
}

const nlohmann::json& Request::JsonBody() const {
    if (json_) {
        return *json_;
    }
    std::string_view body = Trim(body_);
    while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) {
        body.remove_prefix(1);
    }
    if (body.empty()) {
        json_ = std::make_unique<nlohmann::json>(nlohmann::json::object());
        return *json_;
    }
    auto type = Header("content-type");
    std::string_view media = type ? Trim(type->substr(0, type->find(';'))) : std::string_view{};
    if (!IEquals(media, "application/json")) {
        throw UnsupportedMediaTypeError();
    }
    auto parsed = nlohmann::json::parse(body_, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        throw BadRequestError("Body must be valid JSON");
    }
    if (!parsed.is_object()) {
        throw BadRequestError("Body must be a JSON object");
    }
    json_ = std::make_unique<nlohmann::json>(std::move(parsed));
    return *json_;
}

void Request::SetRequestContext(std::string request_id, std::string traceparent) {
    request_id_ = std::move(request_id);
    traceparent_ = std::move(traceparent);
    // traceparent = version "-" trace-id(32 hex) "-" parent-id "-" flags
    trace_id_ = traceparent_.size() >= 35 ? traceparent_.substr(3, 32) : std::string();
}

std::string Request::ClientAddress() const {
    auto forwarded = Header("x-forwarded-for");
    if (!forwarded) {
        return peer_address_;
    }
    auto last = forwarded->substr(forwarded->rfind(',') + 1);
    while (!last.empty() && last.front() == ' ') {
        last.remove_prefix(1);
    }
    while (!last.empty() && last.back() == ' ') {
        last.remove_suffix(1);
    }
    return last.empty() ? peer_address_ : std::string(last);
}

}  // namespace ticketing::http

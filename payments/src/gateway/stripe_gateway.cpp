#include "gateway/stripe_gateway.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "common/log/log.hpp"

namespace ticketing::payments {
namespace {

constexpr std::string_view kUnavailableMessage = "Payment gateway unavailable";

struct Answer {
    long status = 0;  // 0: no HTTP answer
    std::string body;
    CURLcode transport = CURLE_OK;  // why there was no answer
};

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct HeaderListDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

void InitCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One POST, no retries. The key and the body (which holds the card token) stay inside.
Answer PostOnce(const StripeOptions& o,
                const std::string& path,
                const std::string& body,
                std::string_view idempotency_key) {
    Answer answer;
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
        answer.transport = CURLE_FAILED_INIT;
        return answer;
    }
    curl_slist* raw = nullptr;
    for (const std::string& h : {"Authorization: Bearer " + o.api_key,
                                 "Idempotency-Key: " + std::string(idempotency_key),
                                 std::string("Content-Type: application/x-www-form-urlencoded"),
                                 std::string("Accept: application/json"),
                                 std::string("Expect:")}) {
        raw = curl_slist_append(raw, h.c_str());
    }
    std::unique_ptr<curl_slist, HeaderListDeleter> headers(raw);
    const std::string url = o.api_base + path;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
    answer.transport = curl_easy_perform(c);
    if (answer.transport == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
    }
    return answer;
}

bool IsUnreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

}  // namespace

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    auto append = [&out](const std::string& text) {
        for (char ch : text) {
            auto c = static_cast<unsigned char>(ch);
            if (IsUnreserved(c)) {
                out.push_back(ch);
            } else {
                out.push_back('%');
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
            }
        }
    };
    for (const auto& [name, value] : fields) {
        if (!out.empty()) {
            out.push_back('&');
        }
        append(name);
        out.push_back('=');
        append(value);
    }
    return out;
}

GatewayError StripeErrorFromResponse(long status, const std::string& body) {
    auto json = nlohmann::json::parse(body, nullptr, false);
    std::string type, message, param;
    if (json.is_object() && json.contains("error") && json["error"].is_object()) {
        const auto& error = json["error"];
        type = error.value("type", "");
        message = error.value("message", "");
        param = error.value("param", "");
    }
    if (status == 401 || status == 403 || status == 409 || status == 429) {
        // Our key, our permissions, a concurrent request with the same key, a rate limit: not
        // the buyer's doing (Stripe reports a bad key as an invalid_request_error too).
        return {GatewayError::Kind::kUnavailable, std::string(kUnavailableMessage)};
    }
    if (type == "card_error" || status == 402) {
        return {GatewayError::Kind::kDeclined,
                message.empty() ? "Your card was declined." : message};
    }
    if (type == "invalid_request_error") {
        // Stripe names the token in its message ("No such token: 'tok_...'"): not echoed.
        if (param == "source" || message.empty()) {
            return {GatewayError::Kind::kInvalid, "Invalid token"};
        }
        return {GatewayError::Kind::kInvalid, message};
    }
    // Idempotency errors, 5xx, garbage: not the buyer's fault, nor something a new card fixes.
    return {GatewayError::Kind::kUnavailable, std::string(kUnavailableMessage)};
}

std::chrono::milliseconds StripeBackoff(const StripeOptions& options, int retry) {
    auto cap = options.initial_backoff.count();
    for (int i = 1; i < retry && cap < options.max_backoff.count(); ++i) {
        cap *= 2;
    }
    cap = std::min(cap, options.max_backoff.count());
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<long long> dist(0, std::max<long long>(0, cap));
    return std::chrono::milliseconds(dist(rng));
}

StripeGateway::StripeGateway(StripeOptions options) : options_(std::move(options)) {
    while (!options_.api_base.empty() && options_.api_base.back() == '/') {
        options_.api_base.pop_back();
    }
    if (options_.max_attempts < 1) {
        options_.max_attempts = 1;
    }
    InitCurlOnce();
}

ChargeResult StripeGateway::Authorize(util::Cents amount_cents,
                                      std::string_view currency,
                                      std::string_view source,
                                      std::string_view idempotency_key) {
    return {PostForId("/v1/charges",
                      {{"amount", std::to_string(amount_cents)},
                       {"currency", std::string(currency)},
                       {"source", std::string(source)},
                       {"capture", "false"}},
                      idempotency_key)};
}

void StripeGateway::Capture(std::string_view charge_id, std::string_view idempotency_key) {
    // The id goes into the path: only what Stripe's ids are made of.
    if (charge_id.empty() || !std::all_of(charge_id.begin(), charge_id.end(), [](char c) {
            return IsUnreserved(static_cast<unsigned char>(c)) && c != '.' && c != '~';
        })) {
        throw GatewayError(GatewayError::Kind::kInvalid,
                           "No such charge: '" + std::string(charge_id) + "'");
    }
    PostForId("/v1/charges/" + std::string(charge_id) + "/capture",
              {},
              idempotency_key,
              "charge_already_captured");
}

ReleaseResult StripeGateway::Release(std::string_view charge_id,
                                     std::string_view idempotency_key) {
    return {PostForId("/v1/refunds",
                      {{"charge", std::string(charge_id)}},
                      idempotency_key,
                      "charge_already_refunded")};
}

std::string StripeGateway::PostForId(const std::string& path,
                                     const Form& form,
                                     std::string_view key,
                                     std::string_view done_code) {
    const std::string body = FormEncode(form);
    Answer answer;
    for (int attempt = 1;; ++attempt) {
        answer = PostOnce(options_, path, body, key);
        const bool retryable = answer.transport != CURLE_OK || answer.status >= 500;
        if (!retryable) {
            break;
        }
        log::Warn("stripe call failed",
                  {{"path", path},
                   {"attempt", attempt},
                   {"status", static_cast<std::int64_t>(answer.status)},
                   {"error",
                    answer.transport == CURLE_OK ? "server error"
                                                 : curl_easy_strerror(answer.transport)}});
        if (attempt >= options_.max_attempts) {
            throw GatewayError(GatewayError::Kind::kUnavailable, std::string(kUnavailableMessage));
        }
        std::this_thread::sleep_for(StripeBackoff(options_, attempt));
    }
    if (answer.status < 200 || answer.status >= 300) {
        if (!done_code.empty()) {
            auto json = nlohmann::json::parse(answer.body, nullptr, false);
            if (json.is_object() && json.contains("error") && json["error"].is_object() &&
                json["error"].value("code", "") == done_code) {
                return "";
            }
        }
        GatewayError error = StripeErrorFromResponse(answer.status, answer.body);
        if (error.kind() == GatewayError::Kind::kUnavailable) {
            log::Error("stripe refused the call",
                       {{"path", path}, {"status", static_cast<std::int64_t>(answer.status)}});
        }
        throw error;
    }
    auto json = nlohmann::json::parse(answer.body, nullptr, false);
    if (!json.is_object() || !json.contains("id") || !json["id"].is_string()) {
        log::Error("stripe answered without an id", {{"path", path}});
        throw GatewayError(GatewayError::Kind::kUnavailable, std::string(kUnavailableMessage));
    }
    return json["id"].get<std::string>();
}

}  // namespace ticketing::payments

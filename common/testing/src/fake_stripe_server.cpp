#include "common/testing/fake_stripe_server.hpp"

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/metrics/registry.hpp"
#include "common/payments/stripe_test_tokens.hpp"
#include "common/util/percent_decode.hpp"

namespace ticketing::test {
namespace {

using nlohmann::json;

// A held request is answered after this long even if nobody releases it.
constexpr auto kMaxHang = std::chrono::seconds(60);

std::pair<int, std::string> Error(int status,
                                  std::string_view type,
                                  std::string_view message,
                                  std::string_view param = "",
                                  std::string_view code = "") {
    json error{{"type", type}, {"message", message}};
    if (!param.empty()) {
        error["param"] = param;
    }
    if (!code.empty()) {
        error["code"] = code;
    }
    return {status, json{{"error", error}}.dump()};
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
    std::map<std::string, std::string> form;
    while (!body.empty()) {
        auto amp = body.find('&');
        auto pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        auto eq = pair.find('=');
        form[util::FormDecode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? "" : util::FormDecode(pair.substr(eq + 1));
    }
    return form;
}

bool IsPositiveInteger(const std::string& s) {
    return !s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string::npos &&
           std::stoll(s) > 0;
}

}  // namespace

FakeStripeServer::FakeStripeServer(std::string api_key, std::uint16_t port)
    : api_key_(std::move(api_key)), registry_(std::make_unique<metrics::Registry>()) {
    http::Router router;
    for (std::string path : {"/v1/charges", "/v1/refunds"}) {
        router.Post(path, [this, path](http::Request& req) { return Handle(req, path); });
    }
    router.Post("/v1/charges/:id/capture", [this](http::Request& req) {
        return Handle(req, "/v1/charges/" + req.Param("id") + "/capture");
    });
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = port;
    options.io_threads = 1;
    options.workers = 16;
    options.shutdown_grace = std::chrono::seconds(2);
    server_ = std::make_unique<http::Server>(options, std::move(router), *registry_);
    server_->Start();
}

FakeStripeServer::~FakeStripeServer() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    released_.notify_all();
    server_->Stop();
}

std::string FakeStripeServer::BaseUrl() const {
    return "http://127.0.0.1:" + std::to_string(server_->port());
}

void FakeStripeServer::FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ += n;
}

void FakeStripeServer::HangNext(int n) {
    std::lock_guard lock(mu_);
    hang_next_ += n;
}

void FakeStripeServer::SetOutage(Outage outage) {
    {
        std::lock_guard lock(mu_);
        outage_ = outage;
    }
    released_.notify_all();
}

void FakeStripeServer::ReleaseHung() {
    {
        std::lock_guard lock(mu_);
        ++release_generation_;
    }
    released_.notify_all();
}

std::vector<FakeStripeServer::Call> FakeStripeServer::Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
}

std::size_t FakeStripeServer::CallCount(std::string_view path) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& c : calls_) {
        n += c.path == path ? 1 : 0;
    }
    return n;
}

std::size_t FakeStripeServer::ChargesCreated() const {
    std::lock_guard lock(mu_);
    return charges_.size();
}

std::size_t FakeStripeServer::RefundsCreated() const {
    std::lock_guard lock(mu_);
    return refunds_created_;
}

std::size_t FakeStripeServer::CapturesMade() const {
    std::lock_guard lock(mu_);
    return captures_made_;
}

http::Response FakeStripeServer::Handle(const http::Request& req, const std::string& path) {
    Call call{path,
              std::string(req.Header("Authorization").value_or("")),
              std::string(req.Header("Idempotency-Key").value_or("")),
              ParseForm(req.body()),
              0,
              {}};
    const std::string content_type(req.Header("Content-Type").value_or(""));
    std::unique_lock lock(mu_);
    const std::size_t index = calls_.size();
    calls_.push_back(call);
    std::pair<int, std::string> answer;
    released_.wait(lock, [&] { return stopping_ || outage_ != Outage::kHanging; });
    if (outage_ == Outage::kFailing) {
        answer = Error(500, "api_error", "An unknown error occurred");
    } else if (fail_next_ > 0) {
        --fail_next_;
        answer = Error(500, "api_error", "An unknown error occurred");
    } else {
        if (hang_next_ > 0) {
            --hang_next_;
            const auto generation = release_generation_;
            released_.wait_for(
                lock, kMaxHang, [&] { return stopping_ || release_generation_ != generation; });
        }
        if (call.authorization != "Bearer " + api_key_) {
            answer = Error(401, "invalid_request_error", "Invalid API Key provided");
        } else if (!content_type.starts_with("application/x-www-form-urlencoded")) {
            answer = Error(400,
                           "invalid_request_error",
                           "Content-Type must be application/x-www-form-urlencoded");
        } else if (call.idempotency_key.empty()) {
            answer = Error(400, "invalid_request_error", "An Idempotency-Key header is required");
        } else if (auto stored = by_key_.find(call.idempotency_key); stored != by_key_.end()) {
            if (stored->second.path != path || stored->second.form != call.form) {
                answer = Error(400,
                               "idempotency_error",
                               "Keys for idempotent requests can only be used with the same "
                               "parameters they were first used with.");
            } else {
                answer = {stored->second.status, stored->second.body};
            }
        } else {
            answer = Process(path, call.form);
            by_key_[call.idempotency_key] = Stored{path, call.form, answer.first, answer.second};
        }
    }
    calls_[index].status = answer.first;
    calls_[index].body = answer.second;
    lock.unlock();
    http::Response r = http::Response::Text(answer.first, answer.second, "application/json");
    return r;
}

std::pair<int, std::string> FakeStripeServer::Process(
    const std::string& path, const std::map<std::string, std::string>& form) {
    if (path == "/v1/charges") {
        return CreateCharge(form);
    }
    if (path == "/v1/refunds") {
        return CreateRefund(form);
    }
    constexpr std::string_view kPrefix = "/v1/charges/", kSuffix = "/capture";
    return CaptureCharge(path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
}

std::pair<int, std::string> FakeStripeServer::CreateCharge(
    const std::map<std::string, std::string>& form) {
    auto field = [&form](const char* name) {
        auto it = form.find(name);
        return it == form.end() ? std::string() : it->second;
    };
    const std::string amount = field("amount"), currency = field("currency"),
                      source = field("source");
    if (!IsPositiveInteger(amount)) {
        return Error(400, "invalid_request_error", "Invalid positive integer", "amount");
    }
    if (currency != "usd") {
        return Error(400, "invalid_request_error", "Invalid currency: " + currency, "currency");
    }
    if (source.empty()) {
        return Error(400, "invalid_request_error", "Missing required param: source.", "source");
    }
    char id[32];
    std::snprintf(id, sizeof id, "ch_fake%017llu", static_cast<unsigned long long>(++next_id_));
    if (const auto* decline = payments::FindStripeDecline(source)) {
        json error{{"type", "card_error"},
                   {"code", "card_declined"},
                   {"decline_code", "generic_decline"},
                   {"message", decline->message},
                   {"charge", id}};
        return {402, json{{"error", error}}.dump()};
    }
    if (!payments::IsStripeAuthorizingToken(source)) {
        return Error(400,
                     "invalid_request_error",
                     "No such token: '" + source + "'",
                     "source",
                     "resource_missing");
    }
    const bool capture = field("capture") != "false";
    Charge& charge = charges_[id];
    charge.amount = std::stoll(amount);
    charge.captured = capture;
    captures_made_ += capture ? 1 : 0;
    return {200, ChargeJson(id, charge)};
}

std::string FakeStripeServer::ChargeJson(const std::string& id, const Charge& charge) {
    return json{{"id", id},
                {"object", "charge"},
                {"amount", charge.amount},
                {"currency", "usd"},
                {"paid", true},
                {"captured", charge.captured},
                {"refunded", charge.refunded},
                {"status", "succeeded"}}
        .dump();
}

std::pair<int, std::string> FakeStripeServer::CaptureCharge(const std::string& id) {
    auto charge = charges_.find(id);
    if (charge == charges_.end()) {
        return Error(
            404, "invalid_request_error", "No such charge: '" + id + "'", "charge", "resource_missing");
    }
    if (charge->second.refunded) {
        return Error(400,
                     "invalid_request_error",
                     "Charge " + id + " has already been refunded.",
                     "",
                     "charge_already_refunded");
    }
    if (charge->second.captured) {
        return Error(400,
                     "invalid_request_error",
                     "Charge " + id + " has already been captured.",
                     "",
                     "charge_already_captured");
    }
    charge->second.captured = true;
    ++captures_made_;
    return {200, ChargeJson(id, charge->second)};
}

std::pair<int, std::string> FakeStripeServer::CreateRefund(
    const std::map<std::string, std::string>& form) {
    auto it = form.find("charge");
    if (it == form.end() || it->second.empty()) {
        return Error(400, "invalid_request_error", "Missing required param: charge.", "charge");
    }
    auto charge = charges_.find(it->second);
    if (charge == charges_.end()) {
        return Error(400,
                     "invalid_request_error",
                     "No such charge: '" + it->second + "'",
                     "charge",
                     "resource_missing");
    }
    if (charge->second.refunded) {
        return Error(400,
                     "invalid_request_error",
                     "Charge " + it->second + " has already been refunded.",
                     "",
                     "charge_already_refunded");
    }
    charge->second.refunded = true;
    ++refunds_created_;
    char id[32];
    std::snprintf(id, sizeof id, "re_fake%017llu", static_cast<unsigned long long>(++next_id_));
    return {200,
            json{{"id", id},
                 {"object", "refund"},
                 {"charge", it->second},
                 {"amount", charge->second.amount},
                 {"status", "succeeded"}}
                .dump()};
}

}  // namespace ticketing::test

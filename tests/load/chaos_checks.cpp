#include "chaos_checks.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace ticketing::load {

using namespace std::chrono_literals;

void FaultLog::Add(const std::string& kind, Clock::time_point start, Clock::time_point end) {
    std::lock_guard lock(mu_);
    windows_.push_back({kind, start, end});
    ++counts_[kind];
}

bool FaultLog::Covers(Clock::time_point t, Clock::duration grace) const {
    std::lock_guard lock(mu_);
    return std::any_of(windows_.begin(), windows_.end(), [&](const Window& w) {
        return t >= w.start - 1s && t <= w.end + grace;
    });
}

std::map<std::string, int> FaultLog::Counts() const {
    std::lock_guard lock(mu_);
    return counts_;
}

bool ContractError(const test::HttpResult& r) {
    auto j = JsonOf(r);
    return j.is_object() && j.contains("errors") && j["errors"].is_array() &&
           !j["errors"].empty() && j["errors"][0].is_object() &&
           j["errors"][0].contains("message") && j["errors"][0]["message"].is_string();
}

GatewayLedger::GatewayLedger(const std::vector<test::FakeStripeServer::Call>& calls) {
    for (const auto& c : calls) {
        if (c.status != 200) {
            continue;
        }
        auto body = nlohmann::json::parse(c.body, nullptr, false);
        if (c.path == "/v1/charges" && c.idempotency_key.starts_with("pay-")) {
            std::string order = c.idempotency_key.substr(4, 24);
            // A replayed key answers the same charge: counted once.
            if (charges[order].insert(StringField(body, "id")).second) {
                ++charge_count;
            }
        } else if (c.path == "/v1/refunds") {
            auto it = c.form.find("charge");
            if (it != c.form.end() && released.insert(it->second).second) {
                ++release_count;
            }
        } else if (c.path.starts_with("/v1/charges/") && c.path.ends_with("/capture")) {
            const std::string id = c.path.substr(12, c.path.size() - 12 - 8);
            if (captured.insert(id).second) {
                ++capture_count;
            }
        }
    }
}

int GatewayLedger::Count(const std::string& order,
                         const std::function<bool(const std::string&)>& which) const {
    auto it = charges.find(order);
    if (it == charges.end()) {
        return 0;
    }
    return static_cast<int>(std::count_if(it->second.begin(), it->second.end(), which));
}

int GatewayLedger::Captured(const std::string& order) const {
    return Count(order, [&](const std::string& id) { return captured.contains(id); });
}

int GatewayLedger::Held(const std::string& order) const {
    return Count(order, [&](const std::string& id) {
        return !captured.contains(id) && !released.contains(id);
    });
}

}  // namespace ticketing::load

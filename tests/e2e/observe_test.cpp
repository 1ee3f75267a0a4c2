// Observability end to end (issue 15): `scripts/run.sh start --observe` runs a Prometheus that
// scrapes every replica of the stack (two per service here, so the targets it was given follow
// the replicas' ports), has loaded the alert rules of infra/prometheus/alerts.yml and evaluates
// them without error, answers PromQL over the services' metrics labelled by service, and shows
// in `status`. One stack serves every test of this file.
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

#include "stack_environment.hpp"

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kReplicas = 2;
constexpr std::array<std::string_view, 5> kServices = {
    "auth", "tickets", "orders", "expiration", "payments"};
// A first scrape of every target and a first evaluation of every rule: both run every 15 s.
constexpr auto kPrometheusDeadline = 90s;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(
    new StackEnvironment(StackOptions{.replicas = kReplicas, .observe = true}));

// The names of the alerts in a rule file: its `- alert: <name>` items.
std::set<std::string> AlertNamesIn(const std::filesystem::path& rules) {
    std::ifstream in(rules);
    std::set<std::string> names;
    const std::string key = "- alert:";
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(key);
        if (at == std::string::npos || line.find_first_not_of(' ') != at) {
            continue;
        }
        std::istringstream rest(line.substr(at + key.size()));
        std::string name;
        rest >> name;
        names.insert(name);
    }
    return names;
}

// "service/replica", the identity the scrape configuration gives a target.
std::string TargetKey(const json& labels) {
    return labels.value("service", "?") + "/" + labels.value("replica", "?");
}

class ObserveTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(StackEnvironment::Stack(), nullptr) << "the stack did not start";
    }

    // GET of Prometheus's HTTP API: the `data` of a successful answer, or null.
    json Api(const std::string& path) {
        auto r = prometheus_.Get(path);
        if (r.status != 200) {
            return nullptr;
        }
        auto body = json::parse(r.body, nullptr, false);
        if (body.is_discarded() || body.value("status", "") != "success") {
            return nullptr;
        }
        return body.value("data", json());
    }

    HttpClient prometheus_{StackEnvironment::Stack() != nullptr
                               ? StackEnvironment::Stack()->PrometheusUrl()
                               : "http://127.0.0.1:1"};
};

TEST_F(ObserveTest, PrometheusScrapesEveryReplicaLabelledWithItsServiceAndReplica) {
    std::set<std::string> expected;
    for (auto service : kServices) {
        for (int replica = 0; replica < kReplicas; ++replica) {
            expected.insert(std::string(service) + "/" + std::to_string(replica));
        }
    }
    json targets;
    std::set<std::string> all;
    std::set<std::string> up;
    EXPECT_TRUE(WaitUntil(
        [&] {
            targets = Api("/api/v1/targets?state=active");
            all.clear();
            up.clear();
            if (!targets.is_object()) {
                return false;
            }
            for (const auto& target : targets.value("activeTargets", json::array())) {
                const auto key = TargetKey(target.value("labels", json::object()));
                all.insert(key);
                if (target.value("health", "") == "up") {
                    up.insert(key);
                }
            }
            return all == expected && up == expected;
        },
        kPrometheusDeadline))
        << "not every replica's target is up; targets: " << targets.dump(2);
}

TEST_F(ObserveTest, PrometheusEvaluatesTheAlertRulesOfAlertsYmlWithoutErrors) {
    const auto expected =
        AlertNamesIn(std::filesystem::path(TICKETING_SOURCE_DIR) / "infra/prometheus/alerts.yml");
    ASSERT_FALSE(expected.empty());

    // Every rule evaluated once (its health is "unknown" until then).
    json groups;
    std::set<std::string> names;
    EXPECT_TRUE(WaitUntil(
        [&] {
            auto data = Api("/api/v1/rules?type=alert");
            if (!data.is_object()) {
                return false;
            }
            groups = data.value("groups", json::array());
            names.clear();
            bool evaluated = true;
            for (const auto& group : groups) {
                for (const auto& rule : group.value("rules", json::array())) {
                    names.insert(rule.value("name", ""));
                    evaluated = evaluated && rule.value("health", "unknown") != "unknown";
                }
            }
            return names == expected && evaluated;
        },
        kPrometheusDeadline))
        << "rules: " << groups.dump(2);

    EXPECT_EQ(names, expected);
    for (const auto& group : groups) {
        for (const auto& rule : group.value("rules", json::array())) {
            // A PromQL error shows only at evaluation ("err", with the message).
            EXPECT_EQ(rule.value("health", ""), "ok")
                << rule.value("name", "") << ": " << rule.value("lastError", "");
            // A quiet stack that has just started gives no alert any reason to fire.
            EXPECT_NE(rule.value("state", ""), "firing") << rule.dump(2);
        }
    }
}

TEST_F(ObserveTest, PromqlQueryReturnsHttpRequestsOfEveryServiceWithItsServiceLabel) {
    std::set<std::string> expected;
    for (auto service : kServices) {
        expected.insert(std::string(service));
    }
    json result;
    std::set<std::string> services;
    bool every_series_labelled = true;
    EXPECT_TRUE(WaitUntil(
        [&] {
            auto data = Api("/api/v1/query?query=http_requests_total");
            if (!data.is_object()) {
                return false;
            }
            result = data.value("result", json::array());
            services.clear();
            every_series_labelled = true;
            for (const auto& series : result) {
                const auto labels = series.value("metric", json::object());
                const auto service = labels.value("service", "");
                every_series_labelled =
                    every_series_labelled && !service.empty() && labels.contains("replica");
                services.insert(service);
            }
            return services == expected;
        },
        kPrometheusDeadline))
        << "series: " << result.dump(2);
    EXPECT_TRUE(every_series_labelled) << "series: " << result.dump(2);
}

TEST_F(ObserveTest, StatusShowsPrometheusReady) {
    std::string out;
    EXPECT_EQ(StackEnvironment::Stack()->Run({"status"}, &out), 0) << out;
    const std::string line = StackEnvironment::Stack()->PrometheusUrl() + "  ready";
    EXPECT_NE(out.find(line), std::string::npos) << line << " not in:\n" << out;
}

}  // namespace
}  // namespace ticketing::test

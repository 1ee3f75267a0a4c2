// The end-of-run report of a scenario: its phases, the request table and the verdict, as text for
// the terminal and as JSON for --json.
#include <cstdio>

#include "scenarios.hpp"

namespace ticketing::load {
namespace {

constexpr std::size_t kProblemsShown = 20;

}  // namespace

std::string FormatReport(const ScenarioReport& report) {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%s: %.1f s\n\n", report.scenario.c_str(), report.seconds);
    out += line;
    std::snprintf(line,
                  sizeof line,
                  "%-10s %8s %9s %9s %9s\n",
                  "phase",
                  "items",
                  "seconds",
                  "requests",
                  "req/s");
    out += line;
    for (const auto& p : report.phases) {
        std::snprintf(line,
                      sizeof line,
                      "%-10s %8lld %9.1f %9lld %9.1f\n",
                      p.name.c_str(),
                      static_cast<long long>(p.items),
                      p.seconds,
                      static_cast<long long>(p.requests),
                      p.seconds > 0 ? static_cast<double>(p.requests) / p.seconds : 0.0);
        out += line;
    }
    out += "\n" + FormatStatsTable(report.requests) + "\n";
    const auto& problems = report.verdict.problems;
    if (!problems.empty()) {
        out += "problems";
        if (problems.size() > kProblemsShown) {
            out += " (first " + std::to_string(kProblemsShown) + " of " +
                   std::to_string(problems.size()) + ")";
        }
        out += ":\n";
        for (std::size_t i = 0; i < problems.size() && i < kProblemsShown; ++i) {
            out += "  " + problems[i] + "\n";
        }
        out += "\n";
    }
    out += report.verdict.summary + "\n";
    return out;
}

nlohmann::json ReportToJson(const ScenarioReport& report, const LoadOptions& options) {
    nlohmann::json phases = nlohmann::json::array();
    for (const auto& p : report.phases) {
        phases.push_back({{"name", p.name},
                          {"items", p.items},
                          {"seconds", p.seconds},
                          {"requests", p.requests}});
    }
    nlohmann::json opts = {{"base_url", options.base_url},
                           {"concurrency", options.concurrency},
                           {"timeout_s", options.timeout_s}};
    if (options.duration_s) {
        opts["duration_s"] = *options.duration_s;
    }
    if (report.scenario == "occ") {
        opts["chains"] = options.chains;
    } else if (report.scenario == "race") {
        opts["buyers"] = options.buyers;
        opts["tickets"] = options.tickets;
    } else if (report.scenario == "purchase") {
        opts["users"] = options.users;
    } else if (report.scenario == "expire") {
        opts["orders"] = options.orders;
    }
    return {{"scenario", report.scenario},
            {"options", opts},
            {"seconds", report.seconds},
            {"pass", report.verdict.pass},
            {"verdict",
             {{"summary", report.verdict.summary},
              {"counts", report.verdict.counts},
              {"problems", report.verdict.problems}}},
            {"phases", phases},
            {"requests", StatsToJson(report.requests)}};
}

}  // namespace ticketing::load

// The load tool's scenarios, each driving the system through the ingress only and judging it:
//   occ       the course's concurrency test: chains of create 5 / update 10 / update 15 (the last
//             not awaited), then every ticket must be at 15 version 2 in tickets and in orders
//   race      many buyers order the same ticket at the same moment: exactly one wins
//   purchase  sign up, list, order, pay: every order completes and its ticket stays reserved
//   expire    unpaid orders: cancelled and their tickets listed again within the window + 2 s
// Used by main.cpp (ticketing-load) and by the end-to-end test, which calls them directly.
// Thread-safety: each Run* call is independent; it starts and joins its own threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "progress.hpp"
#include "stats.hpp"
#include "verdict.hpp"

namespace ticketing::load {

struct LoadOptions {
    std::string base_url = "http://localhost:8080";
    int concurrency = 50;              // parallel chains, flows or sign-ups
    int chains = 400;                  // occ
    int buyers = 100;                  // race: buyers per ticket
    int tickets = 50;                  // race
    int users = 100;                   // purchase
    int orders = 50;                   // expire
    std::optional<double> duration_s;  // occ, purchase: start new ones until it has passed
    double timeout_s = 30;             // deadline for the system to settle, per wait
    double max_window_s = 120;         // expire: refuse a stack with a longer window
    Progress::Mode progress = Progress::Mode::kLines;
};

struct ScenarioReport {
    std::string scenario;
    Verdict verdict;
    std::vector<PhaseSummary> phases;
    std::vector<RequestSummary> requests;
    double seconds = 0;
};

ScenarioReport RunOcc(const LoadOptions& options);
ScenarioReport RunRace(const LoadOptions& options);
ScenarioReport RunPurchase(const LoadOptions& options);
ScenarioReport RunExpire(const LoadOptions& options);

// The report as printed at the end (phases, the request table, the verdict and its problems)
// and as written by --json.
std::string FormatReport(const ScenarioReport& report);
nlohmann::json ReportToJson(const ScenarioReport& report, const LoadOptions& options);

}  // namespace ticketing::load

// Request statistics of the load tool: every request a scenario sends is recorded (type such as
// "PUT /api/tickets/:id", status, latency) and summarised per type into the table printed at the
// end (count, errors by status, 429s retried, throughput, p50/p95/p99/max latency).
// Thread-safety: Recorder is safe from any thread; the free functions are pure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ticketing::load {

// One answered request, times in seconds since the recorder's start.
struct Sample {
    long status = 0;  // 0: no answer (connection refused, reset, timeout)
    double start_s = 0;
    double end_s = 0;
};

// What the table shows for one request type.
struct RequestSummary {
    std::string type;
    std::int64_t count = 0;                 // answered requests, 429s not included
    std::map<long, std::int64_t> statuses;  // status -> count (0: no answer)
    std::int64_t throttled = 0;             // 429s from the ingress, retried
    double req_per_s = 0;                   // count over the span from first start to last end
    double p50_ms = 0;
    double p95_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;

    std::int64_t Ok() const;            // 2xx
    std::int64_t ServerErrors() const;  // 5xx
    std::int64_t NoAnswer() const;      // status 0
};

// Nearest-rank percentile (p in 0..100) of values sorted ascending; 0 for an empty list.
double Percentile(const std::vector<double>& sorted, double p);

// The summary of one request type's samples.
RequestSummary Summarize(const std::string& type,
                         const std::vector<Sample>& samples,
                         std::int64_t throttled);

// The table printed at the end, one row per type in the order given.
std::string FormatStatsTable(const std::vector<RequestSummary>& rows);
nlohmann::json StatsToJson(const std::vector<RequestSummary>& rows);

class Recorder final {
public:
    using Clock = std::chrono::steady_clock;

    Recorder() : epoch_(Clock::now()) {}

    void Record(const std::string& type,
                long status,
                Clock::time_point start,
                Clock::time_point end);
    void RecordThrottled(const std::string& type);

    // Answered requests so far (for the progress bar).
    std::int64_t Requests() const { return requests_.load(std::memory_order_relaxed); }
    // One summary per type, in the order the types were first recorded.
    std::vector<RequestSummary> Summaries() const;

private:
    struct PerType {
        std::vector<Sample> samples;
        std::int64_t throttled = 0;
    };

    const Clock::time_point epoch_;
    std::atomic<std::int64_t> requests_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> order_;        // guarded by mutex_
    std::map<std::string, PerType> types_;  // guarded by mutex_
};

}  // namespace ticketing::load

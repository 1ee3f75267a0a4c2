#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ticketing::load {
namespace {

std::string Fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

// "404:12 500:1"; a status 0 is shown as "none" (no answer came).
std::string OtherStatuses(const RequestSummary& row) {
    std::string out;
    for (const auto& [status, count] : row.statuses) {
        if (status >= 200 && status < 300) {
            continue;
        }
        if (!out.empty()) {
            out += ' ';
        }
        out += (status == 0 ? std::string("none") : std::to_string(status)) + ":" +
               std::to_string(count);
    }
    return out.empty() ? "-" : out;
}

}  // namespace

std::int64_t RequestSummary::Ok() const {
    std::int64_t n = 0;
    for (const auto& [status, times] : statuses) {
        n += (status >= 200 && status < 300) ? times : 0;
    }
    return n;
}

std::int64_t RequestSummary::ServerErrors() const {
    std::int64_t n = 0;
    for (const auto& [status, times] : statuses) {
        n += status >= 500 ? times : 0;
    }
    return n;
}

std::int64_t RequestSummary::NoAnswer() const {
    auto it = statuses.find(0);
    return it == statuses.end() ? 0 : it->second;
}

double Percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size()));
    auto index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

RequestSummary Summarize(const std::string& type,
                         const std::vector<Sample>& samples,
                         std::int64_t throttled) {
    RequestSummary row;
    row.type = type;
    row.throttled = throttled;
    row.count = static_cast<std::int64_t>(samples.size());
    if (samples.empty()) {
        return row;
    }
    std::vector<double> latencies_ms;
    latencies_ms.reserve(samples.size());
    double first_start = samples.front().start_s;
    double last_end = samples.front().end_s;
    for (const auto& s : samples) {
        ++row.statuses[s.status];
        latencies_ms.push_back((s.end_s - s.start_s) * 1000.0);
        first_start = std::min(first_start, s.start_s);
        last_end = std::max(last_end, s.end_s);
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    row.p50_ms = Percentile(latencies_ms, 50);
    row.p95_ms = Percentile(latencies_ms, 95);
    row.p99_ms = Percentile(latencies_ms, 99);
    row.max_ms = latencies_ms.back();
    double span = last_end - first_start;
    row.req_per_s = span > 0 ? static_cast<double>(row.count) / span : 0;
    return row;
}

std::string FormatStatsTable(const std::vector<RequestSummary>& rows) {
    const std::vector<std::string> header = {"request",
                                             "count",
                                             "2xx",
                                             "other statuses",
                                             "429 retried",
                                             "req/s",
                                             "p50 ms",
                                             "p95 ms",
                                             "p99 ms",
                                             "max ms"};
    std::vector<std::vector<std::string>> cells;
    cells.reserve(rows.size());
    for (const auto& r : rows) {
        cells.push_back({r.type,
                         std::to_string(r.count),
                         std::to_string(r.Ok()),
                         OtherStatuses(r),
                         std::to_string(r.throttled),
                         Fixed(r.req_per_s, 1),
                         Fixed(r.p50_ms, 1),
                         Fixed(r.p95_ms, 1),
                         Fixed(r.p99_ms, 1),
                         Fixed(r.max_ms, 1)});
    }
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        widths[c] = header[c].size();
        for (const auto& row : cells) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    // The first column is left-aligned text, the rest right-aligned numbers.
    auto line = [&](const std::vector<std::string>& row) {
        std::string out;
        for (std::size_t c = 0; c < row.size(); ++c) {
            std::string pad(widths[c] - row[c].size(), ' ');
            out += c == 0 ? row[c] + pad : "  " + pad + row[c];
        }
        return out + "\n";
    };
    std::string out = line(header);
    std::size_t total = 0;
    for (auto w : widths) {
        total += w + 2;
    }
    out += std::string(total - 2, '-') + "\n";
    for (const auto& row : cells) {
        out += line(row);
    }
    return out;
}

nlohmann::json StatsToJson(const std::vector<RequestSummary>& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json statuses = nlohmann::json::object();
        for (const auto& [status, count] : r.statuses) {
            statuses[std::to_string(status)] = count;
        }
        out.push_back({{"request", r.type},
                       {"count", r.count},
                       {"ok", r.Ok()},
                       {"statuses", statuses},
                       {"throttled", r.throttled},
                       {"req_per_s", r.req_per_s},
                       {"p50_ms", r.p50_ms},
                       {"p95_ms", r.p95_ms},
                       {"p99_ms", r.p99_ms},
                       {"max_ms", r.max_ms}});
    }
    return out;
}

void Recorder::Record(const std::string& type,
                      long status,
                      Clock::time_point start,
                      Clock::time_point end) {
    Sample s{status,
             std::chrono::duration<double>(start - epoch_).count(),
             std::chrono::duration<double>(end - epoch_).count()};
    {
        std::lock_guard lock(mutex_);
        auto [it, inserted] = types_.try_emplace(type);
        if (inserted) {
            order_.push_back(type);
        }
        it->second.samples.push_back(s);
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::RecordThrottled(const std::string& type) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = types_.try_emplace(type);
    if (inserted) {
        order_.push_back(type);
    }
    ++it->second.throttled;
}

std::vector<RequestSummary> Recorder::Summaries() const {
    std::lock_guard lock(mutex_);
    std::vector<RequestSummary> rows;
    for (const auto& type : order_) {
        const auto& t = types_.at(type);
        rows.push_back(Summarize(type, t.samples, t.throttled));
    }
    return rows;
}

}  // namespace ticketing::load

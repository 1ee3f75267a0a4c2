// Metrics registry: counters, gauges and histograms with labels, rendered in the Prometheus
// text exposition format for GET /metrics. One Registry per process, created in main and passed
// by reference to whatever records metrics.
// Thread-safety: everything is safe from any thread. Families and children live as long as the
// Registry, so references returned by Family::With may be cached.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ticketing::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void Inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
    double Value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

class Gauge {
public:
    void Set(double v) { value_.store(v, std::memory_order_relaxed); }
    void Inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
    void Dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
    double Value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void Observe(double v);
    std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
    double Sum() const { return sum_.load(std::memory_order_relaxed); }
    const std::vector<double>& bounds() const { return bounds_; }
    // Cumulative count of observations <= bounds()[i].
    std::uint64_t CumulativeCount(std::size_t i) const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0.0};
};

// Buckets in seconds for request and handling latencies: 1 ms .. 10 s.
std::vector<double> LatencyBuckets();

template <class Metric>
class Family {
public:
    Family(std::string name, std::string help, std::function<std::unique_ptr<Metric>()> make)
        : name_(std::move(name)), help_(std::move(help)), make_(std::move(make)) {}

    Metric& With(const Labels& labels) {
        std::lock_guard lock(mu_);
        auto& slot = children_[labels];
        if (!slot) {
            slot = make_();
        }
        return *slot;
    }
    Metric& With() { return With(Labels{}); }

    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    template <class F>
    void ForEach(F&& f) const {
        std::lock_guard lock(mu_);
        for (const auto& [labels, metric] : children_) {
            f(labels, *metric);
        }
    }

private:
    std::string name_;
    std::string help_;
    std::function<std::unique_ptr<Metric>()> make_;
    mutable std::mutex mu_;
    std::map<Labels, std::unique_ptr<Metric>> children_;
};

class Registry {
public:
    // Adding a family twice with one name returns the first (so components can share one).
    Family<Counter>& AddCounter(const std::string& name, const std::string& help);
    Family<Gauge>& AddGauge(const std::string& name, const std::string& help);
    Family<Histogram>& AddHistogram(const std::string& name,
                                    const std::string& help,
                                    std::vector<double> upper_bounds = LatencyBuckets());
    // A gauge read at render time (queue depths, backlogs). The callback must be thread-safe
    // and must not call back into the registry.
    void AddCallbackGauge(const std::string& name,
                          const std::string& help,
                          std::function<double()> read);
    // The same for a gauge with labels: `read` returns every series (labels, value) there is now;
    // a series it leaves out is not rendered. Adding it again under one name replaces it.
    using LabeledValues = std::vector<std::pair<Labels, double>>;
    void AddCallbackGauges(const std::string& name,
                           const std::string& help,
                           std::function<LabeledValues()> read);

    // Prometheus text format 0.0.4.
    std::string Render() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
    std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
    std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_;
    std::map<std::string, std::pair<std::string, std::function<double()>>> callbacks_;
    std::map<std::string, std::pair<std::string, std::function<LabeledValues()>>>
        labeled_callbacks_;
};

}  // namespace ticketing::metrics

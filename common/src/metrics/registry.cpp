#include "common/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ticketing::metrics {
namespace {

std::string EscapeLabel(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string FormatLabels(const Labels& labels, const std::pair<std::string, std::string>* extra) {
    if (labels.empty() && extra == nullptr) {
        return "";
    }
    std::string out = "{";
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += k;
        out += "=\"";
        out += EscapeLabel(v);
        out += '"';
    };
    for (const auto& [k, v] : labels) {
        add(k, v);
    }
    if (extra != nullptr) {
        add(extra->first, extra->second);
    }
    out += '}';
    return out;
}

std::string FormatValue(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    if (std::isnan(v)) {
        return "NaN";
    }
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
    out += "# HELP " + name + ' ' + help + '\n';
    out += "# TYPE " + name + ' ' + type + '\n';
}

template <class Map, class F>
auto& GetOrAdd(std::mutex& mu, Map& map, const std::string& name, F make) {
    std::lock_guard lock(mu);
    auto& slot = map[name];
    if (!slot) {
        slot = make();
    }
    return *slot;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        buckets_[i].store(0);
    }
}

void Histogram::Observe(double v) {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    if (it != bounds_.end()) {
        buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(
            1, std::memory_order_relaxed);
    }
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t Histogram::CumulativeCount(std::size_t i) const {
    std::uint64_t total = 0;
    for (std::size_t j = 0; j <= i && j < bounds_.size(); ++j) {
        total += buckets_[j].load(std::memory_order_relaxed);
    }
    return total;
}

std::vector<double> LatencyBuckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help) {
    return GetOrAdd(mu_, counters_, name, [&] {
        return std::make_unique<Family<Counter>>(
            name, help, [] { return std::make_unique<Counter>(); });
    });
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help) {
    return GetOrAdd(mu_, gauges_, name, [&] {
        return std::make_unique<Family<Gauge>>(
            name, help, [] { return std::make_unique<Gauge>(); });
    });
}

Family<Histogram>& Registry::AddHistogram(const std::string& name,
                                          const std::string& help,
                                          std::vector<double> upper_bounds) {
    return GetOrAdd(mu_, histograms_, name, [&] {
        return std::make_unique<Family<Histogram>>(name, help, [bounds = std::move(upper_bounds)] {
            return std::make_unique<Histogram>(bounds);
        });
    });
}

void Registry::AddCallbackGauge(const std::string& name,
                                const std::string& help,
                                std::function<double()> read) {
    std::lock_guard lock(mu_);
    callbacks_[name] = {help, std::move(read)};
}

void Registry::AddCallbackGauges(const std::string& name,
                                 const std::string& help,
                                 std::function<LabeledValues()> read) {
    std::lock_guard lock(mu_);
    labeled_callbacks_[name] = {help, std::move(read)};
}

std::string Registry::Render() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& [name, family] : counters_) {
        Header(out, name, family->help(), "counter");
        family->ForEach([&](const Labels& labels, const Counter& c) {
            out += name + FormatLabels(labels, nullptr) + ' ' + FormatValue(c.Value()) + '\n';
        });
    }
    for (const auto& [name, family] : gauges_) {
        Header(out, name, family->help(), "gauge");
        family->ForEach([&](const Labels& labels, const Gauge& g) {
            out += name + FormatLabels(labels, nullptr) + ' ' + FormatValue(g.Value()) + '\n';
        });
    }
    for (const auto& [name, cb] : callbacks_) {
        Header(out, name, cb.first, "gauge");
        out += name + ' ' + FormatValue(cb.second()) + '\n';
    }
    for (const auto& [name, cb] : labeled_callbacks_) {
        Header(out, name, cb.first, "gauge");
        for (const auto& [labels, value] : cb.second()) {
            out += name + FormatLabels(labels, nullptr) + ' ' + FormatValue(value) + '\n';
        }
    }
    for (const auto& [name, family] : histograms_) {
        Header(out, name, family->help(), "histogram");
        family->ForEach([&](const Labels& labels, const Histogram& h) {
            for (std::size_t i = 0; i < h.bounds().size(); ++i) {
                std::pair<std::string, std::string> le{"le", FormatValue(h.bounds()[i])};
                out += name + "_bucket" + FormatLabels(labels, &le) + ' ' +
                       std::to_string(h.CumulativeCount(i)) + '\n';
            }
            std::pair<std::string, std::string> inf{"le", "+Inf"};
            out += name + "_bucket" + FormatLabels(labels, &inf) + ' ' + std::to_string(h.Count()) +
                   '\n';
            out +=
                name + "_sum" + FormatLabels(labels, nullptr) + ' ' + FormatValue(h.Sum()) + '\n';
            out += name + "_count" + FormatLabels(labels, nullptr) + ' ' +
                   std::to_string(h.Count()) + '\n';
        });
    }
    return out;
}

}  // namespace ticketing::metrics

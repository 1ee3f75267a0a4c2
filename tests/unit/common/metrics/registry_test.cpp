#include "common/metrics/registry.hpp"


#include <gtest/gtest.h>

namespace ticketing::metrics {
namespace {

TEST(Registry, RenderShowsCounterWithLabels) {
    Registry r;
    r.AddCounter("http_requests_total", "Requests")
        .With({{"route", "/a"}, {"status", "200"}})
        .Inc(2);
    auto text = r.Render();
    EXPECT_NE(text.find("# TYPE http_requests_total counter"), std::string::npos);
    EXPECT_NE(text.find("http_requests_total{route=\"/a\",status=\"200\"} 2\n"), std::string::npos)
        << text;
}

TEST(Registry, AddCounterTwiceReturnsSameFamily) {
    Registry r;
    auto& a = r.AddCounter("events_total", "x");
    auto& b = r.AddCounter("events_total", "x");
    EXPECT_EQ(&a, &b);
}

TEST(Registry, RenderEscapesLabelValues) {
    Registry r;
    r.AddCounter("c", "h").With({{"route", "a\"b\\c\nd"}}).Inc();
    EXPECT_NE(r.Render().find(R"(c{route="a\"b\\c\nd"} 1)"), std::string::npos) << r.Render();
}

TEST(Registry, HistogramBucketsAreCumulative) {
    Registry r;
    auto& h = r.AddHistogram("lat", "latency", {0.1, 1.0}).With();
    h.Observe(0.05);
    h.Observe(0.5);
    h.Observe(5);
    auto text = r.Render();
    EXPECT_NE(text.find("lat_bucket{le=\"0.10000000000000001\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_count 3\n"), std::string::npos) << text;
    EXPECT_DOUBLE_EQ(h.Sum(), 5.55);
}

TEST(Registry, CallbackGaugeIsReadAtRender) {
    Registry r;
    double backlog = 3;
    r.AddCallbackGauge("outbox_backlog", "rows", [&] { return backlog; });
    EXPECT_NE(r.Render().find("outbox_backlog 3\n"), std::string::npos);
    backlog = 7;
    EXPECT_NE(r.Render().find("outbox_backlog 7\n"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::metrics

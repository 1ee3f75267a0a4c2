// Percentiles, per-type summaries and the request table of the load tool.
#include "stats.hpp"

#include <gtest/gtest.h>

namespace ticketing::load {
namespace {

TEST(Percentile, EmptyListIsZero) {
    EXPECT_EQ(Percentile({}, 50), 0);
}

TEST(Percentile, UsesTheNearestRank) {
    std::vector<double> v;
    for (int i = 1; i <= 100; ++i) {
        v.push_back(i);
    }
    EXPECT_EQ(Percentile(v, 50), 50);
    EXPECT_EQ(Percentile(v, 95), 95);
    EXPECT_EQ(Percentile(v, 99), 99);
    EXPECT_EQ(Percentile(v, 100), 100);
    EXPECT_EQ(Percentile(v, 0), 1);
}

TEST(Percentile, RoundsTheRankUp) {
    std::vector<double> v = {10, 20, 30, 40, 50, 60, 70, 80, 90, 1000};
    EXPECT_EQ(Percentile(v, 50), 50);
    EXPECT_EQ(Percentile(v, 51), 60);
    EXPECT_EQ(Percentile(v, 95), 1000);
    EXPECT_EQ(Percentile(v, 99), 1000);
}

TEST(Percentile, OneValueIsEveryPercentile) {
    EXPECT_EQ(Percentile({7}, 1), 7);
    EXPECT_EQ(Percentile({7}, 99), 7);
}

TEST(Summarize, CountsStatusesLatenciesAndThroughput) {
    // Four requests over two seconds: 10, 20, 30 and 400 ms.
    std::vector<Sample> samples = {
        {201, 0.0, 0.010}, {201, 0.5, 0.520}, {400, 1.0, 1.030}, {500, 1.6, 2.000}};
    auto row = Summarize("POST /api/orders", samples, 3);
    EXPECT_EQ(row.count, 4);
    EXPECT_EQ(row.Ok(), 2);
    EXPECT_EQ(row.ServerErrors(), 1);
    EXPECT_EQ(row.NoAnswer(), 0);
    EXPECT_EQ(row.statuses.at(400), 1);
    EXPECT_EQ(row.throttled, 3);
    EXPECT_DOUBLE_EQ(row.req_per_s, 2.0);
    EXPECT_NEAR(row.p50_ms, 20, 1e-6);
    EXPECT_NEAR(row.p95_ms, 400, 1e-6);
    EXPECT_NEAR(row.max_ms, 400, 1e-6);
}

TEST(Summarize, CountsRequestsWithoutAnswer) {
    auto row = Summarize("GET /api/tickets", {{0, 0, 1}, {200, 1, 1.5}}, 0);
    EXPECT_EQ(row.NoAnswer(), 1);
    EXPECT_EQ(row.Ok(), 1);
}

TEST(FormatStatsTable, ShowsOneRowPerTypeWithItsErrorsByStatus) {
    auto orders =
        Summarize("POST /api/orders", {{201, 0, 0.01}, {400, 0, 0.02}, {404, 0, 0.03}}, 0);
    auto signup = Summarize("POST /api/users/signup", {{201, 0, 0.05}, {0, 0, 0.05}}, 7);
    std::string table = FormatStatsTable({signup, orders});

    EXPECT_NE(table.find("request"), std::string::npos);
    EXPECT_NE(table.find("p99 ms"), std::string::npos);
    EXPECT_LT(table.find("POST /api/users/signup"), table.find("POST /api/orders"));
    EXPECT_NE(table.find("400:1 404:1"), std::string::npos);
    EXPECT_NE(table.find("none:1"), std::string::npos);
    // Every line is as wide as the header (aligned columns).
    std::size_t header_end = table.find('\n');
    std::size_t orders_line = table.find("POST /api/orders");
    EXPECT_EQ(table.find('\n', orders_line) - orders_line, header_end);
}

TEST(StatsToJson, CarriesTheTableAsData) {
    auto row = Summarize("PUT /api/tickets/:id", {{200, 0, 0.01}, {409, 0.5, 0.52}}, 2);
    auto j = StatsToJson({row});
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["request"], "PUT /api/tickets/:id");
    EXPECT_EQ(j[0]["count"], 2);
    EXPECT_EQ(j[0]["ok"], 1);
    EXPECT_EQ(j[0]["statuses"]["409"], 1);
    EXPECT_EQ(j[0]["throttled"], 2);
    EXPECT_NEAR(j[0]["p99_ms"].get<double>(), 20, 1e-6);
}

TEST(Recorder, SummarisesTypesInTheOrderFirstSeen) {
    Recorder recorder;
    auto t = Recorder::Clock::now();
    recorder.Record("GET /api/tickets", 200, t, t + std::chrono::milliseconds(5));
    recorder.RecordThrottled("POST /api/users/signup");
    recorder.Record("POST /api/users/signup", 201, t, t + std::chrono::milliseconds(50));
    recorder.Record("GET /api/tickets", 503, t, t + std::chrono::milliseconds(1));

    auto rows = recorder.Summaries();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].type, "GET /api/tickets");
    EXPECT_EQ(rows[0].count, 2);
    EXPECT_EQ(rows[0].ServerErrors(), 1);
    EXPECT_EQ(rows[1].throttled, 1);
    EXPECT_EQ(recorder.Requests(), 3);
}

}  // namespace
}  // namespace ticketing::load

#include "common/log/log.hpp"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ticketing::log {
namespace {

class LogTest : public ::testing::Test {
protected:
    void SetUp() override { InitForTest("tickets", Level::kInfo, out_); }
    void TearDown() override { Init("test", Level::kWarn); }

    std::vector<nlohmann::json> Lines() {
        std::vector<nlohmann::json> lines;
        std::string line;
        std::istringstream in(out_.str());
        while (std::getline(in, line)) {
            lines.push_back(nlohmann::json::parse(line));
        }
        return lines;
    }

    std::ostringstream out_;
};

TEST_F(LogTest, WriteProducesOneJsonObjectPerLine) {
    Info("ticket created", {{"id", "abc"}, {"price", 20}, {"ok", true}});
    auto lines = Lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["level"], "info");
    EXPECT_EQ(lines[0]["service"], "tickets");
    EXPECT_EQ(lines[0]["message"], "ticket created");
    EXPECT_EQ(lines[0]["id"], "abc");
    EXPECT_EQ(lines[0]["price"], 20);
    EXPECT_EQ(lines[0]["ok"], true);
    EXPECT_TRUE(lines[0]["time"].get<std::string>().ends_with("Z"));
}

TEST_F(LogTest, WriteSkipsLinesBelowLevel) {
    Debug("noise");
    Warn("kept");
    auto lines = Lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["message"], "kept");
}

TEST_F(LogTest, ScopedContextAddsRequestAndTraceIds) {
    {
        ScopedContext ctx("req-1", "trace-1");
        Info("inside");
    }
    Info("outside");
    auto lines = Lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["request_id"], "req-1");
    EXPECT_EQ(lines[0]["trace_id"], "trace-1");
    EXPECT_FALSE(lines[1].contains("request_id"));
}

TEST_F(LogTest, WriteEscapesQuotesAndNewlines) {
    Error("bad \"thing\"\nhappened");
    auto lines = Lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["message"], "bad \"thing\"\nhappened");
}

TEST(LogLevel, ParseLevelAcceptsKnownNames) {
    EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
    EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
    EXPECT_EQ(ParseLevel("warning"), Level::kWarn);
    EXPECT_FALSE(ParseLevel("loud").has_value());
}

}  // namespace
}  // namespace ticketing::log

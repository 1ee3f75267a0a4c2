#include "common/log/log.hpp"

#include <cmath>
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

// The line is written directly, not through a JSON object: what that did for free is checked
// here. Invalid UTF-8 and control characters, in values and in keys; numbers as numbers; a field
// named like a standard member replaces it.
TEST_F(LogTest, WriteKeepsEveryLineValidJsonWhateverTheValues) {
    const std::string invalid_utf8 = "caf\xc3 \xff";
    Info("odd values", {{"bad", invalid_utf8},
                        {"ctl", std::string("a\tb\x01c")},
                        {"ms", 0.650893},
                        {"whole", 2.0},
                        {"nan", std::nan("")},
                        {"neg", -42},
                        {"k\"ey", "v\\w"},
                        {"utf8", "Zürich ✓"}});
    Info("replaced", {{"message", "from a field"}, {"service", "other"}});
    auto lines = Lines();  // parse() throws on anything that is not valid JSON and UTF-8
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["bad"], "caf\xef\xbf\xbd \xef\xbf\xbd");  // U+FFFD for each bad byte
    EXPECT_EQ(lines[0]["ctl"], "a\tb\x01c");
    EXPECT_DOUBLE_EQ(lines[0]["ms"].get<double>(), 0.650893);
    EXPECT_TRUE(lines[0]["whole"].is_number_float());
    EXPECT_TRUE(lines[0]["nan"].is_null());
    EXPECT_EQ(lines[0]["neg"], -42);
    EXPECT_EQ(lines[0]["k\"ey"], "v\\w");
    EXPECT_EQ(lines[0]["utf8"], "Zürich ✓");
    EXPECT_EQ(lines[1]["message"], "from a field");
    EXPECT_EQ(lines[1]["service"], "other");
    EXPECT_EQ(lines[1].size(), 4u);  // time, level, service, message: nothing twice
}

TEST(LogLevel, ParseLevelAcceptsKnownNames) {
    EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
    EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
    EXPECT_EQ(ParseLevel("warning"), Level::kWarn);
    EXPECT_FALSE(ParseLevel("loud").has_value());
}

}  // namespace
}  // namespace ticketing::log

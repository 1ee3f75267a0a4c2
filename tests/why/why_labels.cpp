#include "why_labels.hpp"

#include <iostream>

#include <gtest/gtest.h>

namespace ticketing::test {

void WhyLabel(const std::string& what) {
    // One line: gtest's summaries span several ("Expected equality of these values:", ...).
    std::string label = "why: ";
    bool space = true;  // no blank after "why: " either
    for (char c : what) {
        const bool blank = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!blank || !space) {
            label += blank ? ' ' : c;
        }
        space = blank;
    }
    if (label.size() > 110) {
        label = label.substr(0, 107) + "...";
    }
    for (char& c : label) {
        if (c == '<' || c == '>' || c == ';') {
            c = ' ';  // neither markup nor a list separator
        }
    }
    std::cout << "\n<CTestLabel>" << label << "</CTestLabel>\n" << std::flush;
}

namespace {

class WhyListener : public ::testing::EmptyTestEventListener {
    void OnTestPartResult(const ::testing::TestPartResult& result) override {
        if (result.failed()) {
            std::string where = result.file_name() != nullptr ? result.file_name() : "?";
            where = where.substr(where.find_last_of('/') + 1);
            WhyLabel(where + ":" + std::to_string(result.line_number()) + ": " +
                     result.summary());
        }
    }
};

// Registered before main (gtest_main) runs: an object library's objects are always linked.
const bool kRegistered = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new WhyListener);  // gtest owns it
    return true;
}();

}  // namespace
}  // namespace ticketing::test

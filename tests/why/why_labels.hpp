// "Why" labels: CI shows only the tail of the test run, that is ctest's label summary and the
// names of the failed tests. Every test executable links this (ticketing_why_labels): each failed
// assertion is printed as "<CTestLabel>why: ...</CTestLabel>", which ctest (3.22+) adds to that
// test's labels, so the summary at the very end says why it failed. Labels starting "why" sort
// after every real label, just above the total.
// Thread-safety: WhyLabel writes one line to std::cout; gtest reports a failure on the thread
// that made it, so a failure on another thread may interleave its line with the test's output.
#pragma once

#include <string>

namespace ticketing::test {

// Prints `what` (on one line, at most about 110 characters) as a label of the running test.
void WhyLabel(const std::string& what);

}  // namespace ticketing::test

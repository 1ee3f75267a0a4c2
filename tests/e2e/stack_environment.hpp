// StackEnvironment: one LocalStack for every test of an end-to-end executable, as a gtest global
// environment (started before the first test, stopped after the last). Stack() is null when it
// did not start (SetUp threw), so tests can assert on it. StackJourneyTest is the fixture of tests
// that drive that stack as a user.
// Thread-safety: gtest calls SetUp and TearDown on the main thread; Stack() is read from tests.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "journey.hpp"
#include "stack.hpp"

namespace ticketing::test {

class StackEnvironment final : public ::testing::Environment {
public:
    explicit StackEnvironment(StackOptions options) : options_(std::move(options)) {}

    void SetUp() override {
        stack_ = std::make_unique<LocalStack>(options_);
        current_ = stack_.get();
    }
    void TearDown() override {
        current_ = nullptr;
        stack_.reset();
    }

    static LocalStack* Stack() { return current_; }

private:
    StackOptions options_;
    std::unique_ptr<LocalStack> stack_;
    static inline LocalStack* current_ = nullptr;
};

// A test of the executable's stack that walks the user's journey through its ingress.
class StackJourneyTest : public ::testing::Test, protected Journey {
protected:
    StackJourneyTest()
        : Journey(StackEnvironment::Stack() != nullptr ? StackEnvironment::Stack()->IngressUrl()
                                                       : "http://127.0.0.1:1") {}

    void SetUp() override {
        ASSERT_NE(StackEnvironment::Stack(), nullptr) << "the stack did not start";
    }
};

}  // namespace ticketing::test

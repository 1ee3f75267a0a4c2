// SandboxGateway under concurrent calls: threads, so not a unit test (its single-threaded
// behaviour is in tests/unit/payments/gateway_test.cpp).
#include "gateway/sandbox_gateway.hpp"

#include <future>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ticketing::payments {
namespace {

TEST(SandboxGateway, ConcurrentCallsWithOneKeyMakeOneCharge) {
    SandboxGateway gateway;
    std::vector<std::future<std::string>> calls;
    for (int i = 0; i < 8; ++i) {
        calls.push_back(std::async(std::launch::async, [&] {
            return gateway.Authorize(2000, "usd", "tok_visa", "pay-same").charge_id;
        }));
    }
    std::set<std::string> ids;
    for (auto& c : calls) {
        ids.insert(c.get());
    }
    EXPECT_EQ(ids.size(), 1u);
}

}  // namespace
}  // namespace ticketing::payments

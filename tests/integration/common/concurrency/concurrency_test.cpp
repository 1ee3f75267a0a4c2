// Thread-safety checks that need real threads, so they are integration tests (`ctest -L unit`
// starts no thread): ids from one generator on many threads, a counter incremented from many.
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/metrics/registry.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/util/ids.hpp"

namespace ticketing {
namespace {

using util::ObjectIdGenerator;
using metrics::Registry;

TEST(ObjectIdGenerator, StaysUniqueAcrossThreads) {
    const test::FakeClock clock;
    ObjectIdGenerator ids(clock);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 5000;
    std::mutex mutex;
    std::set<std::string> seen;

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            mine.reserve(kPerThread);
            for (int i = 0; i < kPerThread; ++i) {
                mine.push_back(ids.NewId());
            }
            const std::lock_guard lock(mutex);
            seen.insert(mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(Registry, CounterIsSafeUnderConcurrentIncrements) {
    Registry r;
    auto& family = r.AddCounter("n", "h");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                family.With({{"k", "v"}}).Inc();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(family.With({{"k", "v"}}).Value(), 40000);
}

}  // namespace
}  // namespace ticketing

// PortBlock: the block of ports an end-to-end stack claims. The outage scenarios start three
// stacks at the same moment; two of them once drew the same block, and the second run command
// found the first one's servers "ready" on it (CI, 2026-12-02).
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "stack.hpp"

namespace ticketing::test {
namespace {

TEST(PortBlock, BlocksHeldAtOnceNeverShareABase) {
    // 30 draws from 220 blocks: without the lock two would share a base in 86% of runs.
    std::vector<std::unique_ptr<PortBlock>> held;
    std::set<std::uint16_t> bases;
    for (int i = 0; i < 30; ++i) {
        held.push_back(std::make_unique<PortBlock>());
        std::uint16_t base = held.back()->Base();
        EXPECT_EQ(base % 100, 0);
        EXPECT_GE(base, 10000);
        EXPECT_LE(base, 31900);
        EXPECT_TRUE(bases.insert(base).second) << "block " << base << " handed out twice";
    }
}

// The lock file of a block (the path is PortBlock's): may another holder take it now?
bool LockFree(std::uint16_t base) {
    auto path = std::filesystem::temp_directory_path() / "ticketing-port-blocks" /
                (std::to_string(base) + ".lock");
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        ADD_FAILURE() << "no lock file " << path;
        return false;
    }
    bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
}

TEST(PortBlock, IsClaimedWhileHeldAndFreeOnceItsHolderIsGone) {
    std::uint16_t base = 0;
    {
        PortBlock block;
        base = block.Base();
        EXPECT_FALSE(LockFree(base)) << "block " << base << " not locked while held";
    }
    EXPECT_TRUE(LockFree(base)) << "block " << base << " still locked after its holder is gone";
}

}  // namespace
}  // namespace ticketing::test

// Tests of the real-server harness in common/testing (ChildProcess, TempDir, FreePort, WaitUntil):
// the db integration tests stand on it, so it is checked here with plain shell commands.
#include "common/testing/process.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

TEST(ChildProcessTest, WaitReturnsExitCode) {
    ChildProcess child({"sh", "-c", "exit 3"});

    EXPECT_EQ(child.Wait(10s), 3);
    EXPECT_FALSE(child.Running());
}

TEST(ChildProcessTest, WritesOutputAndEnvironmentToLogFile) {
    ChildProcess child({"sh", "-c", "echo out-$GREETING; echo err >&2"}, {{"GREETING", "hello"}});
    ASSERT_EQ(child.Wait(10s), 0);

    const std::string log = child.ReadLog();

    EXPECT_NE(log.find("out-hello"), std::string::npos) << log;
    EXPECT_NE(log.find("err"), std::string::npos) << log;
}

TEST(ChildProcessTest, KillEndsChildWithSignal) {
    ChildProcess child({"sleep", "60"});
    ASSERT_TRUE(child.Running());

    child.Kill(SIGKILL);

    EXPECT_EQ(child.Wait(10s), 128 + SIGKILL);
}

TEST(ChildProcessTest, WaitTimesOutWhileChildRuns) {
    ChildProcess child({"sleep", "60"});

    EXPECT_FALSE(child.Wait(20ms).has_value());
}

TEST(ChildProcessTest, StopEscalatesToSigkillWhenSignalIsIgnored) {
    TempDir dir;
    const auto ready = dir.Path() / "ready";
    ChildProcess child({"sh", "-c", "trap '' TERM; touch " + ready.string() + "; sleep 60"});
    ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(ready); }, 10s));

    const int code = child.Stop(SIGTERM, 100ms);

    EXPECT_EQ(code, 128 + SIGKILL);
}

TEST(ChildProcessTest, DestructorStopsRunningChild) {
    pid_t pid = 0;
    {
        ChildProcess child({"sleep", "60"});
        pid = child.Pid();
    }

    EXPECT_NE(::kill(pid, 0), 0);  // reaped and gone
}

TEST(ChildProcessTest, ThrowsWhenProgramCannotStart) {
    EXPECT_THROW(ChildProcess({"/nonexistent/program"}), std::runtime_error);
    EXPECT_THROW(ChildProcess({"no-such-program-on-path-xyz"}), std::runtime_error);
}

TEST(TempDirTest, CreatesDirectoryAndRemovesItOnDestruction) {
    if (std::getenv("TICKETING_KEEP_TEMP") != nullptr) {
        GTEST_SKIP() << "TICKETING_KEEP_TEMP is set";
    }
    std::filesystem::path path;
    {
        TempDir dir;
        path = dir.Path();
        std::ofstream(path / "file") << "x";
        std::filesystem::create_directory(path / "sub");
        EXPECT_TRUE(std::filesystem::is_directory(path));
    }

    EXPECT_FALSE(std::filesystem::exists(path));
}

// A socket on 127.0.0.1:port, SO_REUSEADDR when `reuse`; -1 when bind fails.
int BindLoopback(std::uint16_t port, bool reuse) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    if (reuse) {
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t PortOf(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

TEST(FreePortTest, ReturnsBindablePort) {
    const std::uint16_t port = FreePort();

    EXPECT_GT(port, 0);
    EXPECT_FALSE(WaitForTcp(port, 10ms));  // nothing listens there
}

// What CI once hit: redis-server's bind failed with EADDRINUSE on a port picked here, because
// the port was free only until another socket was given it.
TEST(FreePortTest, TheReservedPortIsGivenToNoOtherSocketButAServerCanListenOnItTwice) {
    const std::uint16_t port = FreePort();

    // Neither a plain bind to it nor any of 300 port-0 binds gets it.
    EXPECT_EQ(BindLoopback(port, /*reuse=*/false), -1);
    std::vector<int> others;
    for (int i = 0; i < 300; ++i) {
        const int fd = BindLoopback(0, /*reuse=*/false);
        ASSERT_GE(fd, 0);
        others.push_back(fd);
    }
    for (const int fd : others) {
        EXPECT_NE(PortOf(fd), port);
        ::close(fd);
    }
    // A server that sets SO_REUSEADDR listens there, and again after it stopped (a restart).
    for (int run = 0; run < 2; ++run) {
        const int server = BindLoopback(port, /*reuse=*/true);
        ASSERT_GE(server, 0) << "run " << run;
        EXPECT_EQ(::listen(server, 4), 0) << "run " << run;
        EXPECT_TRUE(WaitForTcp(port, 5s)) << "run " << run;
        ::close(server);
    }
}

TEST(WaitUntilTest, ReturnsTrueOnceConditionHolds) {
    std::atomic<int> calls{0};

    const bool ok = WaitUntil([&] { return ++calls >= 3; }, 10s);

    EXPECT_TRUE(ok);
    EXPECT_EQ(calls.load(), 3);
}

TEST(WaitUntilTest, ReturnsFalseAfterDeadline) {
    const auto start = std::chrono::steady_clock::now();

    const bool ok = WaitUntil([] { return false; }, 50ms);

    EXPECT_FALSE(ok);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

}  // namespace
}  // namespace ticketing::test

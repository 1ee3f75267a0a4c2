// Process and filesystem helpers for integration tests that run real servers (PostgreSQL,
// nats-server, redis-server, the services themselves) on loopback:
//   ChildProcess  a fork/exec'd child whose output goes to a log file and which dies with the test;
//   TempDir       a private directory under /tmp removed when the test ends;
//   FreePort      a port the kernel handed out, reserved for the test: tests never hard-code ports;
//   WaitUntil / WaitForTcp  how tests wait: on a condition with a deadline, never a bare sleep.
// Thread-safety: the free functions are safe from any thread. A ChildProcess or TempDir belongs
// to one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace ticketing::test {

// mkdtemp("/tmp/<prefix>XXXXXX"); removed recursively on destruction unless the environment
// variable TICKETING_KEEP_TEMP is set (then its path is printed to stderr for post-mortems).
class TempDir final {
public:
    explicit TempDir(const std::string& prefix = "ticketing-");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& Path() const { return path_; }

private:
    std::filesystem::path path_;
};

using EnvVars = std::vector<std::pair<std::string, std::string>>;

class ChildProcess final {
public:
    struct Options {
        // argv[0] is looked up on PATH when it has no '/'.
        std::vector<std::string> argv;
        // Added to (or replacing in) the test's own environment.
        EnvVars env;
        // stdout and stderr of the child, appended. Empty: "<argv0 name>.log" in a TempDir the
        // ChildProcess owns.
        std::filesystem::path log_file;
        // Empty: the test's working directory.
        std::filesystem::path working_dir;
        // When set and the test runs as root: the child switches to this user (its uid, gid and
        // groups) before exec, like `runuser -u <user> --` but keeping PR_SET_PDEATHSIG, which a
        // set-user-ID helper would clear. Ignored when not root.
        std::string run_as_user;
    };

    // Starts the child (it gets PR_SET_PDEATHSIG = SIGKILL, so it dies if the test process
    // does). Throws std::runtime_error when fork or exec fails (an exec failure is detected
    // before the constructor returns).
    explicit ChildProcess(Options options);
    ChildProcess(std::vector<std::string> argv, EnvVars env = {});
    // Stops a child still running: SIGTERM, then SIGKILL after 10 s.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t Pid() const { return pid_; }
    const std::filesystem::path& LogFile() const { return log_file_; }
    std::string ReadLog() const;

    // Sends `signal` to the child if it has not been reaped yet.
    void Kill(int signal);
    // Waits for the child to exit, at most `deadline`. Returns its exit code (128 + signal
    // number when a signal ended it), or nullopt when it is still running at the deadline.
    std::optional<int> Wait(std::chrono::milliseconds deadline);
    // True while the child has not exited.
    bool Running();
    // Sends `signal`, waits up to `grace`, then SIGKILL. Returns the exit code.
    int Stop(int signal, std::chrono::milliseconds grace);

private:
    std::optional<int> Reap(bool block);

    std::optional<TempDir> own_dir_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// A free TCP port on 127.0.0.1, reserved for the rest of the test process: it stays bound
// (SO_REUSEADDR, never listening), so no other test's port or client socket takes it, and a
// server that binds it with SO_REUSEADDR can (again after a restart).
std::uint16_t FreePort();

// Calls cond every few milliseconds until it returns true (then true) or the deadline passes
// (then false, after one last try).
bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds deadline);

// True once a TCP connection to 127.0.0.1:port succeeds within the deadline.
bool WaitForTcp(std::uint16_t port, std::chrono::milliseconds deadline);

}  // namespace ticketing::test

#include "common/testing/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

[[noreturn]] void ThrowErrno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::filesystem::path FindOnPath(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        return program;
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::filesystem::path candidate =
            std::filesystem::path(dir.empty() ? "." : dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    throw std::runtime_error("ChildProcess: " + program + " not found on PATH");
}

// "KEY=VALUE" strings: the test's environment with `extra` added or replaced.
std::vector<std::string> BuildEnvironment(const EnvVars& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const std::string_view key = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& [k, v] : extra) {
            replaced = replaced || k == key;
        }
        if (!replaced) {
            env.emplace_back(entry);
        }
    }
    for (const auto& [k, v] : extra) {
        env.push_back(k + "=" + v);
    }
    return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (std::string& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

struct Credentials {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
};

Credentials LookUpUser(const std::string& user) {
    errno = 0;
    const passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr) {
        throw std::runtime_error("ChildProcess: no user named " + user);
    }
    Credentials creds{pw->pw_uid, pw->pw_gid, {}};
    int count = 32;
    creds.groups.resize(static_cast<std::size_t>(count));
    while (::getgrouplist(user.c_str(), pw->pw_gid, creds.groups.data(), &count) < 0) {
        creds.groups.resize(static_cast<std::size_t>(count));
    }
    creds.groups.resize(static_cast<std::size_t>(count));
    return creds;
}

// In the child: reports errno to the parent through the pipe and exits.
[[noreturn]] void FailInChild(int error_fd) {
    const int err = errno;
    [[maybe_unused]] const ssize_t n = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
}

// In the child, between fork and exec: only async-signal-safe calls. Reports errno on the pipe.
[[noreturn]] void ExecChild(const char* program,
                            char* const* argv,
                            char* const* envp,
                            int log_fd,
                            int error_fd,
                            const char* working_dir,
                            const Credentials* creds,
                            pid_t parent) {
    auto fail = [error_fd] { FailInChild(error_fd); };
    ::setpgid(0, 0);  // its own process group: signals aimed at the test's group spare it
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
        fail();
    }
    if (working_dir != nullptr && ::chdir(working_dir) != 0) {
        fail();
    }
    if (creds != nullptr) {
        if (::setgroups(creds->groups.size(), creds->groups.data()) != 0 ||
            ::setgid(creds->gid) != 0 || ::setuid(creds->uid) != 0) {
            fail();
        }
    }
    // After the credential change, which would clear it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fail();
    }
    if (::getppid() != parent) {
        ::_exit(126);  // the test died before prctl took effect
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program, argv, envp);
    FailInChild(error_fd);
}

int ExitCode(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

}  // namespace

// ---- TempDir -----------------------------------------------------------------------------------

TempDir::TempDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        ThrowErrno("mkdtemp " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (std::getenv("TICKETING_KEEP_TEMP") != nullptr) {
        std::cerr << "TICKETING_KEEP_TEMP: keeping " << path_ << "\n";
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) {
        std::cerr << "TempDir: cannot remove " << path_ << ": " << ec.message() << "\n";
    }
}

// ---- ChildProcess ------------------------------------------------------------------------------

ChildProcess::ChildProcess(std::vector<std::string> argv, EnvVars env)
    : ChildProcess(Options{std::move(argv), std::move(env), {}, {}, {}}) {}

ChildProcess::ChildProcess(Options options) {
    if (options.argv.empty()) {
        throw std::invalid_argument("ChildProcess: empty argv");
    }
    const std::filesystem::path program = FindOnPath(options.argv.front());
    if (options.log_file.empty()) {
        own_dir_.emplace("ticketing-proc-");
        log_file_ = own_dir_->Path() / (program.filename().string() + ".log");
    } else {
        log_file_ = options.log_file;
    }
    std::optional<Credentials> creds;
    if (!options.run_as_user.empty() && ::geteuid() == 0) {
        creds = LookUpUser(options.run_as_user);
    }

    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<std::string> argv_strings = options.argv;
    std::vector<std::string> env_strings = BuildEnvironment(options.env);
    std::vector<char*> argv_ptrs = CStrings(argv_strings);
    std::vector<char*> env_ptrs = CStrings(env_strings);
    const std::string program_str = program.string();
    const std::string working_dir = options.working_dir.string();

    const int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        ThrowErrno("open " + log_file_.string());
    }
    if (creds) {
        // The child writes its log as the other user.
        [[maybe_unused]] const int rc = ::fchown(log_fd, creds->uid, creds->gid);
    }
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(log_fd);
        errno = err;
        ThrowErrno("pipe2");
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(log_fd);
        ::close(error_pipe[0]);
        ::close(error_pipe[1]);
        errno = err;
        ThrowErrno("fork");
    }
    if (pid == 0) {
        ExecChild(program_str.c_str(),
                  argv_ptrs.data(),
                  env_ptrs.data(),
                  log_fd,
                  error_pipe[1],
                  working_dir.empty() ? nullptr : working_dir.c_str(),
                  creds ? &*creds : nullptr,
                  parent);
    }
    pid_ = pid;
    ::close(log_fd);
    ::close(error_pipe[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    if (n > 0) {
        Reap(/*block=*/true);
        throw std::runtime_error("ChildProcess: cannot start " + program_str + ": " +
                                 std::strerror(child_errno));
    }
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
        Stop(SIGTERM, 10s);
    }
}

std::string ChildProcess::ReadLog() const {
    std::ifstream in(log_file_);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

std::optional<int> ChildProcess::Reap(bool block) {
    if (exit_code_) {
        return exit_code_;
    }
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
        exit_code_ = ExitCode(status);
    } else if (r < 0 && errno == ECHILD) {
        exit_code_ = -1;  // reaped elsewhere (e.g. a SIGCHLD handler): treat as gone
    }
    return exit_code_;
}

void ChildProcess::Kill(int signal) {
    if (pid_ > 0 && !Reap(/*block=*/false)) {
        ::kill(pid_, signal);
    }
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds deadline) {
    WaitUntil([this] { return Reap(/*block=*/false).has_value(); }, deadline);
    return exit_code_;
}

bool ChildProcess::Running() {
    return pid_ > 0 && !Reap(/*block=*/false);
}

int ChildProcess::Stop(int signal, std::chrono::milliseconds grace) {
    Kill(signal);
    if (!Wait(grace)) {
        std::cerr << "ChildProcess: pid " << pid_ << " ignored signal " << signal
                  << ", sending SIGKILL\n";
        Kill(SIGKILL);
        Reap(/*block=*/true);
    }
    return *exit_code_;
}

// ---- free functions ----------------------------------------------------------------------------

std::uint16_t FreePort() {
    // Every port handed out stays reserved by a socket that is bound (SO_REUSEADDR) but never
    // listens, until the test process exits. The kernel then gives that port to no other port-0
    // bind and to no outgoing connection as its source port, while a server binding it with
    // SO_REUSEADDR (redis-server, nats-server, PostgreSQL, nginx and RESTinio all set it) still
    // can, and can again after a restart on the same port. Closing the probe instead left a gap:
    // CI saw redis-server fail with EADDRINUSE on a port picked here a moment before.
    static std::mutex mutex;
    static std::vector<int> reserved;  // closed by exit; CLOEXEC keeps them out of children
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ThrowErrno("socket");
    }
    const int on = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        ThrowErrno("bind 127.0.0.1:0");
    }
    const std::lock_guard lock(mutex);
    reserved.push_back(fd);
    return ntohs(addr.sin_port);
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    auto step = 1ms;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) {
            return true;
        }
        std::this_thread::sleep_for(step);
        step = std::min(step * 2, std::chrono::milliseconds(20));
    }
    return cond();
}

bool WaitForTcp(std::uint16_t port, std::chrono::milliseconds deadline) {
    return WaitUntil(
        [port] {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return false;
            }
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addr.sin_port = htons(port);
            const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
            ::close(fd);
            return ok;
        },
        deadline);
}

}  // namespace ticketing::test

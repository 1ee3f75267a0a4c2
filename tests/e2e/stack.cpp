#include "stack.hpp"

#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

// The ports scripts/run.sh derives from TICKETING_PORT_BASE: base..base+12 for the ingress, the
// servers and Prometheus, base+20.. for the services (10 per service).
constexpr int kPortSpan = 70;

bool PortFree(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return free;
}

// Blocks at multiples of 100 from 10000 to 31900: below the kernel's ephemeral ports (32768..,
// /proc/sys/net/ipv4/ip_local_port_range), so no client socket or port-0 server of another test
// takes a port of the stack while its owner is stopped (an outage test stops Redis for minutes).
constexpr int kFirstBlock = 100;
constexpr int kLastBlock = 319;

bool BlockFree(int base) {
    for (int p = base; p < base + kPortSpan; ++p) {
        if (!PortFree(p)) {
            return false;
        }
    }
    return true;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

// Tries the blocks from a random one on, taking each one's lock file without waiting.
PortBlock::PortBlock() {
    auto dir = std::filesystem::temp_directory_path() / "ticketing-port-blocks";
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    std::random_device rd;
    int start = std::uniform_int_distribution<int>(kFirstBlock, kLastBlock)(rd);
    int count = kLastBlock - kFirstBlock + 1;
    for (int i = 0; i < count; ++i) {
        int base = (kFirstBlock + (start - kFirstBlock + i) % count) * 100;
        auto path = dir / (std::to_string(base) + ".lock");
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            continue;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && BlockFree(base)) {
            lock_fd_ = fd;
            base_ = static_cast<std::uint16_t>(base);
            return;
        }
        ::close(fd);
    }
    throw std::runtime_error("LocalStack: no block of free ports");
}

PortBlock::~PortBlock() {
    if (lock_fd_ >= 0) {
        ::close(lock_fd_);
    }
}

LocalStack::LocalStack(StackOptions options)
    : dir_("ticketing-e2e-"), base_(ports_.Base()), options_(options) {
    // mkdtemp makes it 0700: the postgres user (initdb as root runs as postgres) and nginx's
    // workers (nobody) must enter it.
    if (!options_.private_data_dir) {
        std::filesystem::permissions(dir_.Path(),
                                     std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_exec |
                                         std::filesystem::perms::others_exec);
    }
    std::vector<std::string> args = {
        "start", "--detach", "--replicas", std::to_string(options_.replicas)};
    if (options_.postgres) {
        args.push_back("--postgres");
    }
    if (options_.nats_cluster) {
        args.push_back("--nats-cluster");
    }
    if (options_.containers) {
        args.push_back("--containers");
    }
    if (options_.observe) {
        args.push_back("--observe");
    }
    int code = Run(args, &start_output_);
    if (code != 0) {
        Run({"stop"});
        throw std::runtime_error("scripts/run.sh start failed (" + std::to_string(code) + "):\n" +
                                 start_output_);
    }
}

LocalStack::~LocalStack() {
    std::string output;
    if (Run({"stop"}, &output) != 0) {
        std::cerr << "scripts/run.sh stop failed:\n" << output << "\n";
    }
}

std::string LocalStack::IngressUrl() const {
    return "http://127.0.0.1:" + std::to_string(base_);
}

std::string LocalStack::Secret(const std::string& name) const {
    std::ifstream in(dir_.Path() / "secrets" / name);
    std::string value;
    std::getline(in, value);
    return value;
}

std::string LocalStack::NatsUrl() const {
    // As the `ops` user (the services' own users may publish only their subjects).
    return "nats://ops:" + Secret("nats-ops") + "@127.0.0.1:" +
           std::to_string(base_ + 1);  // NATS_PORT in scripts/run.sh
}

std::string LocalStack::PrometheusUrl() const {
    return "http://127.0.0.1:" + std::to_string(base_ + 12);  // PROMETHEUS_PORT in scripts/run.sh
}

std::filesystem::path LocalStack::LogFile(const std::string& process) const {
    return dir_.Path() / "logs" / (process + ".log");
}

int LocalStack::Run(const std::vector<std::string>& args, std::string* output) const {
    static int runs = 0;
    ChildProcess::Options o;
    o.argv = {"bash", std::string(TICKETING_SOURCE_DIR) + "/scripts/run.sh"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {{"TICKETING_DATA_DIR", dir_.Path().string()},
             {"TICKETING_PORT_BASE", std::to_string(base_)},
             {"TICKETING_SKIP_BUILD", "1"},
             {"TICKETING_BIN", TICKETING_BUILD_DIR},
             {"EXPIRATION_WINDOW_SECONDS", std::to_string(options_.expiration_window_seconds)},
             {"TICKETING_AUTH_RATE", std::to_string(options_.auth_rate)},
             {"LOG_LEVEL", "info"}};
    o.env.insert(o.env.end(), options_.env.begin(), options_.env.end());
    o.log_file = dir_.Path() / ("run-" + std::to_string(++runs) + ".log");
    ChildProcess child(o);
    auto code = child.Wait(300s);
    if (output != nullptr) {
        *output = ReadFile(o.log_file);
    }
    return code.value_or(-1);
}

}  // namespace ticketing::test

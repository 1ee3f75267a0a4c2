#include "common/testing/servers.hpp"

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;

void WaitReady(ChildProcess& p, std::uint16_t port, const char* what) {
    if (!WaitForTcp(port, 30s)) {
        throw std::runtime_error(std::string(what) + " did not start on port " +
                                 std::to_string(port) + ": " + p.ReadLog());
    }
}

// True when redis-server answers PING with PONG: it accepts connections before it has loaded
// its AOF, and answers -LOADING until then.
bool RedisAnswersPong(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool pong = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const char ping[] = "PING\r\n";
        char reply[64] = {};
        if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) ==
            static_cast<ssize_t>(sizeof ping - 1)) {
            auto n = ::recv(fd, reply, sizeof reply - 1, 0);
            pong = n > 0 && std::string(reply, static_cast<std::size_t>(n)).starts_with("+PONG");
        }
    }
    ::close(fd);
    return pong;
}

}  // namespace

NatsServer::NatsServer() : dir_("ticketing-nats-"), port_(FreePort()) {
    Start();
}

NatsServer::~NatsServer() {
    Kill();
}

std::string NatsServer::Url() const {
    return "nats://127.0.0.1:" + std::to_string(port_);
}

void NatsServer::Kill() {
    if (process_) {
        process_->Stop(SIGKILL, 5s);
        process_.reset();
    }
}

void NatsServer::Start() {
    if (process_) {
        return;
    }
    ChildProcess::Options o;
    o.argv = {"nats-server",
              "-js",
              "-sd",
              (dir_.Path() / "store").string(),
              "-a",
              "127.0.0.1",
              "-p",
              std::to_string(port_)};
    o.log_file = dir_.Path() / "nats.log";
    process_ = std::make_unique<ChildProcess>(o);
    WaitReady(*process_, port_, "nats-server");
}

RedisServer::RedisServer() : dir_("ticketing-redis-"), port_(FreePort()) {
    Start();
}

RedisServer::~RedisServer() {
    Kill();
}

std::string RedisServer::Url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
}

void RedisServer::Kill() {
    if (process_) {
        process_->Stop(SIGKILL, 5s);
        process_.reset();
    }
}

void RedisServer::Start() {
    if (process_) {
        return;
    }
    ChildProcess::Options o;
    o.argv = {"redis-server",
              "--port",
              std::to_string(port_),
              "--bind",
              "127.0.0.1",
              "--dir",
              dir_.Path().string(),
              "--appendonly",
              "yes",
              "--appendfsync",
              "always",
              "--save",
              "",
              "--maxmemory-policy",
              "noeviction"};
    o.log_file = dir_.Path() / "redis.log";
    process_ = std::make_unique<ChildProcess>(o);
    WaitReady(*process_, port_, "redis-server");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!RedisAnswersPong(port_)) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("redis-server did not finish loading: " + process_->ReadLog());
        }
        std::this_thread::sleep_for(5ms);  // polling interval of a deadline-bounded wait
    }
}

}  // namespace ticketing::test

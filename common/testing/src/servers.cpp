#include "common/testing/servers.hpp"

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "common/testing/raw_exchange.hpp"

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
    const auto reply = RawExchange(port, "PING\r\n", 1s, [](std::string_view got) {
        return got.find("\r\n") != std::string_view::npos;  // one reply line
    });
    return reply.starts_with("+PONG");
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

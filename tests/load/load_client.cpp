#include "load_client.hpp"

#include <algorithm>
#include <random>

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;

// A 429 is retried for this long at most; beyond it the 429 is the answer.
constexpr auto kThrottleDeadline = 60s;
constexpr auto kFirstBackoff = 10ms;
constexpr auto kMaxBackoff = 500ms;

std::chrono::milliseconds Jittered(std::chrono::milliseconds base) {
    thread_local std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<long> pick(base.count() / 2, base.count());
    return std::chrono::milliseconds(pick(rng));
}

}  // namespace

LoadClient::LoadClient(const std::string& base_url, Recorder& recorder)
    : http_(base_url), recorder_(recorder) {}

HttpResult LoadClient::Get(const char* type, const std::string& path, const Headers& headers) {
    return Send(type, "GET", path, std::nullopt, headers);
}

HttpResult LoadClient::Delete(const char* type, const std::string& path, const Headers& headers) {
    return Send(type, "DELETE", path, std::nullopt, headers);
}

HttpResult LoadClient::Post(const char* type,
                            const std::string& path,
                            const std::string& body,
                            const Headers& headers) {
    return Send(type, "POST", path, body, headers);
}

HttpResult LoadClient::Put(const char* type,
                           const std::string& path,
                           const std::string& body,
                           const Headers& headers) {
    return Send(type, "PUT", path, body, headers);
}

HttpResult LoadClient::Send(const char* type,
                            const std::string& method,
                            const std::string& path,
                            const std::optional<std::string>& body,
                            const Headers& headers) {
    const auto give_up = Recorder::Clock::now() + kThrottleDeadline;
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    while (true) {
        auto start = Recorder::Clock::now();
        HttpResult result = http_.Send(method, path, body, headers);
        auto end = Recorder::Clock::now();
        if (result.status != 429 || end >= give_up) {
            recorder_.Record(type, result.status, start, end);
            return result;
        }
        recorder_.RecordThrottled(type);
        std::this_thread::sleep_for(Jittered(backoff));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
    }
}

AsyncSender::AsyncSender(const std::string& base_url, Recorder& recorder, int threads)
    : recorder_(recorder) {
    for (int i = 0; i < std::max(threads, 1); ++i) {
        threads_.emplace_back([this, base_url] { Work(base_url); });
    }
}

AsyncSender::~AsyncSender() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
        t.join();
    }
}

std::future<HttpResult> AsyncSender::Send(const char* type,
                                          std::string method,
                                          std::string path,
                                          std::optional<std::string> body,
                                          Headers headers) {
    std::packaged_task<HttpResult(LoadClient&)> task(
        [type,
         method = std::move(method),
         path = std::move(path),
         body = std::move(body),
         headers = std::move(headers)](LoadClient& client) {
            return client.Send(type, method, path, body, headers);
        });
    auto future = task.get_future();
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return future;
}

void AsyncSender::Work(const std::string& base_url) {
    LoadClient client(base_url, recorder_);
    while (true) {
        std::packaged_task<HttpResult(LoadClient&)> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, and everything queued was sent
            }
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task(client);
    }
}

Headers SessionOf(const HttpResult& result) {
    std::string cookie = test::CookiePair(result, "session");
    if (cookie.empty()) {
        return {};
    }
    return {{"Cookie", cookie}};
}

}  // namespace ticketing::load

// LoadClient: how the load tool talks to the ingress. A blocking HTTP client (one keep-alive
// connection) that records every answer in a Recorder under a request type such as
// "PUT /api/tickets/:id", and retries the ingress's 429 (sign-in/sign-up rate limit) with a short
// growing backoff, counting those 429s apart: they are throttling, not failures.
// AsyncSender: the requests a scenario fires without waiting for the answer (the course's
// "not awaited" last update), sent on its own threads; the answer is collected later.
// Thread-safety: a LoadClient belongs to one thread. AsyncSender::Send is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/http_client.hpp"

#include "stats.hpp"

namespace ticketing::load {

using test::Headers;
using test::HttpResult;

// Request types, as the table names them.
inline constexpr const char* kSignUp = "POST /api/users/signup";
inline constexpr const char* kCreateTicket = "POST /api/tickets";
inline constexpr const char* kUpdateTicket = "PUT /api/tickets/:id";
inline constexpr const char* kShowTicket = "GET /api/tickets/:id";
inline constexpr const char* kListTickets = "GET /api/tickets";
inline constexpr const char* kCreateOrder = "POST /api/orders";
inline constexpr const char* kShowOrder = "GET /api/orders/:id";
inline constexpr const char* kListOrders = "GET /api/orders";
inline constexpr const char* kCancelOrder = "DELETE /api/orders/:id";
inline constexpr const char* kPay = "POST /api/payments";

class LoadClient final {
public:
    LoadClient(const std::string& base_url, Recorder& recorder);

    HttpResult Get(const char* type, const std::string& path, const Headers& headers = {});
    HttpResult Delete(const char* type, const std::string& path, const Headers& headers = {});
    HttpResult Post(const char* type,
                    const std::string& path,
                    const std::string& body,
                    const Headers& headers = {});
    HttpResult Put(const char* type,
                   const std::string& path,
                   const std::string& body,
                   const Headers& headers = {});
    HttpResult Send(const char* type,
                    const std::string& method,
                    const std::string& path,
                    const std::optional<std::string>& body,
                    const Headers& headers);

private:
    test::HttpClient http_;
    Recorder& recorder_;
};

class AsyncSender final {
public:
    AsyncSender(const std::string& base_url, Recorder& recorder, int threads);
    ~AsyncSender();  // sends what is queued, then joins
    AsyncSender(const AsyncSender&) = delete;
    AsyncSender& operator=(const AsyncSender&) = delete;

    std::future<HttpResult> Send(const char* type,
                                 std::string method,
                                 std::string path,
                                 std::optional<std::string> body,
                                 Headers headers);

private:
    void Work(const std::string& base_url);

    Recorder& recorder_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::packaged_task<HttpResult(LoadClient&)>> queue_;  // guarded by mutex_
    bool stopping_ = false;                                          // guarded by mutex_
    std::vector<std::thread> threads_;  // last: they use everything above
};

// The session cookie of a sign-up or sign-in answer, as the header to send back.
Headers SessionOf(const HttpResult& result);

}  // namespace ticketing::load

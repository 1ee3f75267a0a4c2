// The HTTP server against a real HTTP client on loopback: routing, the error middleware, body
// limits, content types, request ids, built-in routes, worker pool and graceful shutdown.
#include "common/http/server.hpp"

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/http/errors.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/raw_exchange.hpp"

namespace ticketing::http {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;

// A gate a handler waits on, so a test can hold a request in flight.
class Gate {
public:
    void Open() {
        {
            std::lock_guard lock(mu_);
            open_ = true;
        }
        cv_.notify_all();
    }
    // Returns false if the gate stayed shut for the whole deadline.
    bool Wait(std::chrono::milliseconds deadline) {
        {
            std::lock_guard lock(mu_);
            ++waiting_;
        }
        cv_.notify_all();
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, deadline, [this] { return open_; });
    }
    bool WaitForWaiter(std::chrono::milliseconds deadline) { return WaitForWaiters(1, deadline); }
    bool WaitForWaiters(int n, std::chrono::milliseconds deadline) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, deadline, [this, n] { return waiting_ >= n; });
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = false;
    int waiting_ = 0;
};

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", log::Level::kWarn);
        Router router;
        router.Get("/hello", [](Request&) { return Response::Json(200, {{"hello", "world"}}); });
        router.Post("/echo", [](Request& r) { return Response::Json(200, r.JsonBody()); });
        router.Get("/items/:id", [](Request& r) {
            return Response::Json(200, {{"id", r.Param("id")}});
        });
        router.Get("/boom", [](Request&) -> Response {
            throw std::runtime_error("secret internal detail");
        });
        router.Get("/bad", [](Request&) -> Response {
            throw BadRequestError("Ticket is already reserved");
        });
        router.Get("/context", [](Request& r) {
            return Response::Json(200,
                                  {{"requestId", r.request_id()},
                                   {"traceparent", r.traceparent()},
                                   {"logRequestId", log::CurrentRequestId()}});
        });
        router.Get("/slow", [this](Request&) {
            bool opened = gate_.Wait(10s);
            return Response::Json(200, {{"opened", opened}});
        });
        ServerOptions options;
        options.address = "127.0.0.1";
        options.port = 0;
        options.io_threads = 2;  // as the services run: two listening sockets on one port
        options.workers = 4;
        options.max_body_bytes = 4096;
        options.queue_limit = 2;
        server_ = std::make_unique<Server>(options, std::move(router), registry_);
        server_->AddReadinessCheck("database", [this] { return database_up_.load(); });
        server_->AddReadinessCheck("bus", [] { return true; });
        server_->Start();
        base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    }

    void TearDown() override {
        gate_.Open();
        server_->Stop();
    }

    metrics::Registry registry_;
    std::unique_ptr<Server> server_;
    std::string base_;
    Gate gate_;
    std::atomic<bool> database_up_{true};
};

TEST_F(ServerTest, RoutesToHandler) {
    HttpClient client(base_);
    auto r = client.Get("/hello");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json(), (nlohmann::json{{"hello", "world"}}));
    EXPECT_EQ(r.Header("content-type").value(), "application/json; charset=utf-8");
}

TEST_F(ServerTest, PassesRouteParameters) {
    HttpClient client(base_);
    auto r = client.Get("/items/5f1a2b3c4d5e6f7a8b9c0d1e");
    EXPECT_EQ(r.Json()["id"], "5f1a2b3c4d5e6f7a8b9c0d1e");
}

TEST_F(ServerTest, UnknownRouteIs404InContractFormat) {
    HttpClient client(base_);
    for (auto r : {client.Get("/nope"), client.Get("/items/1/2"), client.Get("/hello/"),
                   client.Get("//hello"), client.Get("/items/1/")}) {
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.Json(), nlohmann::json::parse(R"({"errors":[{"message":"Not Found"}]})"));
    }
}

TEST_F(ServerTest, EchoesJsonBody) {
    HttpClient client(base_);
    auto r = client.Post("/echo", R"({"title":"concert","price":20})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["title"], "concert");
}

TEST_F(ServerTest, MalformedJsonIs400) {
    HttpClient client(base_);
    auto r = client.Post("/echo", R"({"title":)");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Body must be valid JSON");
}

TEST_F(ServerTest, NonObjectJsonIs400) {
    HttpClient client(base_);
    auto r = client.Post("/echo", "[1,2,3]");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Body must be a JSON object");
}

TEST_F(ServerTest, NonJsonContentTypeIs415) {
    HttpClient client(base_);
    auto r =
        client.Post("/echo", "title=x", {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Content-Type must be application/json");
}

TEST_F(ServerTest, BodyOverLimitIs413) {
    HttpClient client(base_);
    std::string big = R"({"title":")" + std::string(5000, 'x') + R"("})";
    auto r = client.Post("/echo", big);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Request body is too large");
    // The connection stays usable afterwards.
    EXPECT_EQ(client.Get("/hello").status, 200);
}

TEST_F(ServerTest, HugeBodyIsRefusedWithoutReadingItAll) {
    HttpClient client(base_);
    std::string huge(1024 * 1024, 'x');
    auto r = client.Post("/echo", huge);
    // Beyond 16x the limit the server answers from the Content-Length alone and closes the
    // connection rather than buffer the body (a client still sending may see the reset first).
    EXPECT_TRUE(r.status == 0 || r.status == 413) << r.status;
    // Everything the server writes until it closes the connection (or 5 s pass: the test then
    // fails on what it got).
    const auto raw = test::RawExchange(server_->port(),
                                       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                       "application/json\r\nContent-Length: 1048576\r\n\r\n{",
                                       5s);
    EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
    HttpClient fresh(base_);
    EXPECT_EQ(fresh.Get("/hello").status, 200);
}

TEST_F(ServerTest, UnexpectedExceptionIs500WithoutDetails) {
    HttpClient client(base_);
    auto r = client.Get("/boom");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.Json(),
              nlohmann::json::parse(R"({"errors":[{"message":"Something went wrong"}]})"));
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

TEST_F(ServerTest, TypedErrorKeepsItsStatusAndMessage) {
    HttpClient client(base_);
    auto r = client.Get("/bad");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Ticket is already reserved");
}

TEST_F(ServerTest, KeepsClientRequestIdAndEchoesIt) {
    HttpClient client(base_);
    auto r = client.Get("/context", {{"X-Request-Id", "req-42"}});
    EXPECT_EQ(r.Header("x-request-id").value(), "req-42");
    EXPECT_EQ(r.Json()["requestId"], "req-42");
    EXPECT_EQ(r.Json()["logRequestId"], "req-42");
}

TEST_F(ServerTest, MakesRequestIdWhenMissingOrUnsafe) {
    HttpClient client(base_);
    auto missing = client.Get("/context");
    auto unsafe = client.Get("/context", {{"X-Request-Id", "bad id\"<script>"}});
    EXPECT_EQ(missing.Header("x-request-id").value().size(), 32u);
    EXPECT_EQ(unsafe.Header("x-request-id").value().size(), 32u);
    EXPECT_NE(missing.Header("x-request-id"), unsafe.Header("x-request-id"));
}

TEST_F(ServerTest, ContinuesIncomingTraceAndStartsNewOtherwise) {
    HttpClient client(base_);
    auto r = client.Get(
        "/context", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
    std::string tp = r.Json()["traceparent"];
    EXPECT_EQ(tp.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
    EXPECT_NE(tp.substr(36, 16), "00f067aa0ba902b7");
    auto fresh = client.Get("/context", {{"traceparent", "garbage"}});
    std::string made = fresh.Json()["traceparent"];
    EXPECT_EQ(made.size(), 55u);
    EXPECT_EQ(made.substr(0, 3), "00-");
}

TEST_F(ServerTest, HealthzAnswers) {
    HttpClient client(base_);
    EXPECT_EQ(client.Get("/healthz").status, 200);
}

TEST_F(ServerTest, ReadyzFollowsReadinessChecks) {
    HttpClient client(base_);
    EXPECT_EQ(client.Get("/readyz").status, 200);
    database_up_ = false;
    auto r = client.Get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Not ready: database");
    EXPECT_EQ(r.Json()["errors"].size(), 1u);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
    HttpClient client(base_);
    client.Get("/items/1");
    client.Get("/items/2");
    client.Get("/nope");
    auto r = client.Get("/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find(R"(http_requests_total{method="GET",route="/items/:id",status="200"} 2)"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find(R"(http_requests_total{method="GET",route="unmatched",status="404"} 1)"),
              std::string::npos);
    EXPECT_NE(r.body.find("http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(ServerTest, SlowHandlerDoesNotStallOtherRequests) {
    auto slow = std::async(std::launch::async, [this] { return HttpClient(base_).Get("/slow"); });
    ASSERT_TRUE(gate_.WaitForWaiter(5s));
    HttpClient client(base_);
    EXPECT_EQ(client.Get("/hello").status, 200);  // answered while /slow is still held
    gate_.Open();
    auto r = slow.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["opened"], true);
}

TEST_F(ServerTest, StopFinishesInFlightRequestAndRefusesNewConnections) {
    auto slow = std::async(std::launch::async, [this] { return HttpClient(base_).Get("/slow"); });
    ASSERT_TRUE(gate_.WaitForWaiter(5s));
    auto stopped = std::async(std::launch::async, [this] { server_->Stop(); });
    // Once the acceptor is closed, new connections fail; the held request is still pending.
    ASSERT_TRUE(test::WaitUntil([&] { return HttpClient(base_).Get("/hello").status == 0; }, 5s));
    EXPECT_EQ(stopped.wait_for(0s), std::future_status::timeout);
    gate_.Open();
    auto r = slow.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["opened"], true);
    EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready);
}

TEST_F(ServerTest, KnownPathWithAnotherMethodIs405WithAllow) {
    HttpClient client(base_);
    for (auto r : {client.Delete("/hello"), client.Send("PATCH", "/items/1", "{}", {}),
                   client.Send("TRACE", "/hello", std::nullopt, {})}) {
        EXPECT_EQ(r.status, 405);
        EXPECT_EQ(r.Json(),
                  nlohmann::json::parse(R"({"errors":[{"message":"Method not allowed"}]})"));
    }
    EXPECT_EQ(client.Delete("/hello").Header("allow").value_or(""), "GET");
    // The connection is still in use afterwards: nothing was closed.
    EXPECT_EQ(client.Get("/hello").status, 200);
}

// What a proxy must never see is a closed connection: it would count the replica as failed.
// Each unparseable request gets its status and the contract's JSON, then the connection closes.
TEST_F(ServerTest, UnparseableRequestsAreAnsweredInContractFormat) {
    const auto port = server_->port();
    struct Case {
        const char* what;
        std::string bytes;
        const char* status_line;
    };
    const std::vector<Case> cases = {
        {"unknown method", "FOO /hello HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 501 "},
        {"bad request line", "GET /hello HTTP/9\r\n\r\n", "HTTP/1.1 400 "},
        {"two Content-Lengths",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
         "HTTP/1.1 400 "},
        {"header over the limit",
         "GET /hello HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(9000, 'a') + "\r\n\r\n",
         "HTTP/1.1 431 "},
        {"URI over the limit",
         "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
         "HTTP/1.1 414 "},
        {"NUL in the request line", std::string("GET /hel") + '\0' + "lo HTTP/1.1\r\n\r\n",
         "HTTP/1.1 400 "},
    };
    for (const auto& c : cases) {
        const auto answer = test::RawExchange(port, c.bytes, 5s);  // until it closes
        EXPECT_EQ(answer.rfind(c.status_line, 0), 0u) << c.what << ": " << answer;
        EXPECT_NE(answer.find("Content-Type: application/json"), std::string::npos) << c.what;
        EXPECT_NE(answer.find(R"({"errors":[{"message":")"), std::string::npos) << c.what;
    }
    // The server is unharmed.
    EXPECT_EQ(HttpClient(base_).Get("/hello").status, 200);
}

// A full queue in front of the workers sheds load at once with 503 and Retry-After.
TEST_F(ServerTest, FullWorkerQueueIs503WithRetryAfter) {
    // Four workers held by /slow, then two requests queued behind them (queue_limit 2).
    // One at a time: each must have reached its worker before the next is queued, or two
    // arriving together could find the queue full themselves.
    std::vector<std::future<test::HttpResult>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(
            std::async(std::launch::async, [this] { return HttpClient(base_).Get("/slow"); }));
        ASSERT_TRUE(gate_.WaitForWaiters(i + 1, 10s));
    }
    for (int i = 0; i < 2; ++i) {
        held.push_back(
            std::async(std::launch::async, [this] { return HttpClient(base_).Get("/hello"); }));
    }
    // The queued two are counted in flight; the next one finds the queue full.
    ASSERT_TRUE(test::WaitUntil(
        [this] {
            auto m = HttpClient(base_).Get("/metrics").body;
            return m.find("http_requests_in_flight 7") != std::string::npos;
        },
        5s));
    auto shed = HttpClient(base_).Get("/hello");
    EXPECT_EQ(shed.status, 503);
    EXPECT_EQ(shed.Header("retry-after").value_or(""), "1");
    EXPECT_EQ(shed.Json()["errors"][0]["message"], "Server busy, please retry");
    gate_.Open();
    for (auto& f : held) {
        EXPECT_EQ(f.get().status, 200);
    }
}

// Each I/O thread listens on the port with a socket of its own (SO_REUSEPORT). What can go
// wrong with that: every connection going to one thread, a connection's requests running on
// two threads (they would need a strand again), or a second server joining the port.
class ServerLanesTest : public ::testing::Test {
protected:
    void SetUp() override { log::Init("test", log::Level::kWarn); }

    static std::unique_ptr<Server> Make(metrics::Registry& registry,
                                        std::uint16_t port,
                                        std::size_t io_threads) {
        Router router;
        router.Get(
            "/thread",
            [](Request&) {
                std::ostringstream id;
                id << std::this_thread::get_id();
                return Response::Json(200, {{"thread", id.str()}});
            },
            Dispatch::kInline);
        ServerOptions options;
        options.address = "127.0.0.1";
        options.port = port;
        options.io_threads = io_threads;
        return std::make_unique<Server>(options, std::move(router), registry);
    }
};

TEST_F(ServerLanesTest, ConnectionsAreSpreadOverTheThreadsAndEachStaysOnOne) {
    metrics::Registry registry;
    auto server = Make(registry, 0, 2);
    server->Start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
    // 32 connections, three requests each: the kernel hashes each connection to one of the two
    // sockets, so all 32 on one thread has odds of 2^-31.
    std::vector<std::unique_ptr<HttpClient>> clients;
    std::set<std::string> threads;
    for (int i = 0; i < 32; ++i) {
        clients.push_back(std::make_unique<HttpClient>(base));
    }
    for (auto& client : clients) {
        std::set<std::string> own;
        for (int k = 0; k < 3; ++k) {
            auto r = client->Get("/thread");
            ASSERT_EQ(r.status, 200);
            own.insert(r.Json()["thread"].get<std::string>());
        }
        EXPECT_EQ(own.size(), 1u) << "one connection's requests ran on two threads";
        threads.insert(own.begin(), own.end());
    }
    EXPECT_EQ(threads.size(), 2u);
    server->Stop();
}

TEST_F(ServerLanesTest, APortInUseStillRefusesASecondServer) {
    metrics::Registry registry;
    auto first = Make(registry, 0, 2);
    first->Start();
    // Another instance of the service on the same port (two threads or one) fails to start,
    // as it did with one socket: it does not join the first one's sockets.
    metrics::Registry other;
    EXPECT_ANY_THROW(Make(other, first->port(), 2)->Start());
    EXPECT_ANY_THROW(Make(other, first->port(), 1)->Start());
    // The first one is untouched.
    EXPECT_EQ(HttpClient("http://127.0.0.1:" + std::to_string(first->port())).Get("/thread").status,
              200);
    first->Stop();
}

// Routes answered through a Reply (Router::AddAsync): later, from another thread, with an
// error, twice, or never. Each on a server with one I/O thread and the handlers inline, as
// tickets' POST runs on SQLite.
class AsyncRouteTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", log::Level::kWarn);
        Router router;
        router.Get("/hello", [](Request&) { return Response::Json(200, {{"hello", "world"}}); },
                   Dispatch::kInline);
        // Keeps the reply: the test answers it later, from its own thread.
        router.AddAsync(
            Method::kGet,
            "/held",
            [this](Request&, Reply reply) {
                std::lock_guard lock(mu_);
                held_.push_back(std::move(reply));
                cv_.notify_all();
            },
            Dispatch::kInline);
        router.AddAsync(
            Method::kGet,
            "/refused-now",
            [](Request&, Reply) { throw BadRequestError("Refused before any answer"); },
            Dispatch::kInline);
        router.AddAsync(
            Method::kGet,
            "/twice",
            [](Request&, Reply reply) {
                reply(Response::Json(200, {{"answer", "first"}}));
                reply(Response::Json(201, {{"answer", "second"}}));
                throw std::runtime_error("thrown after answering");
            },
            Dispatch::kInline);
        router.AddAsync(
            Method::kGet, "/dropped", [](Request&, Reply) {}, Dispatch::kInline);
        // Says which thread ran it (an inline route: the I/O thread, unless its body is large).
        auto thread_answer = [](Request&, Reply reply) {
            std::ostringstream id;
            id << std::this_thread::get_id();
            reply(Response::Json(200, {{"thread", id.str()}}));
        };
        router.AddAsync(Method::kGet, "/thread", thread_answer, Dispatch::kInline);
        router.AddAsync(Method::kPost, "/thread", thread_answer, Dispatch::kInline);
        ServerOptions options;
        options.address = "127.0.0.1";
        options.port = 0;
        options.io_threads = 1;
        options.workers = 2;
        server_ = std::make_unique<Server>(options, std::move(router), registry_);
        server_->Start();
        base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    }

    void TearDown() override {
        {
            std::lock_guard lock(mu_);
            held_.clear();  // a reply never answered answers 500 as it goes
        }
        server_->Stop();
    }

    // The reply of the n-th request to /held, once it arrived.
    std::optional<Reply> Held(std::size_t n) {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, 10s, [&] { return held_.size() > n; })) {
            return std::nullopt;
        }
        return held_[n];
    }

    metrics::Registry registry_;
    std::unique_ptr<Server> server_;
    std::string base_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Reply> held_;
};

// While a request waits for its answer, the one I/O thread serves other connections; the answer
// given from another thread reaches the right client.
TEST_F(AsyncRouteTest, AWaitingRequestHoldsNoThreadAndIsAnsweredFromAnother) {
    auto waiting = std::async(std::launch::async, [&] { return HttpClient(base_).Get("/held"); });
    auto reply = Held(0);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(HttpClient(base_).Get("/hello").status, 200);  // not stuck behind /held
    std::thread([reply = *reply] { reply(Response::Json(200, {{"answered", "later"}})); }).join();
    auto r = waiting.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["answered"], "later");
    EXPECT_TRUE(r.Header("X-Request-Id").has_value());
}

// An error given as the answer is shaped as a handler's thrown error: a typed error keeps its
// status and message, anything else is 500 without its details.
TEST_F(AsyncRouteTest, AnErrorAnswerIsShapedAsAThrownOne) {
    auto typed = std::async(std::launch::async, [&] { return HttpClient(base_).Get("/held"); });
    auto first = Held(0);
    ASSERT_TRUE(first.has_value());
    (*first)(std::make_exception_ptr(ConflictError()));
    auto r = typed.get();
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Conflict, please retry");

    auto untyped = std::async(std::launch::async, [&] { return HttpClient(base_).Get("/held"); });
    auto second = Held(1);
    ASSERT_TRUE(second.has_value());
    (*second)(std::make_exception_ptr(std::runtime_error("secret internal detail")));
    r = untyped.get();
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

TEST_F(AsyncRouteTest, AHandlerThatThrowsBeforeAnsweringIsAnsweredWithItsError) {
    auto r = HttpClient(base_).Get("/refused-now");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json()["errors"][0]["message"], "Refused before any answer");
}

// The first answer stands: a second one, and an exception thrown after answering, change nothing.
TEST_F(AsyncRouteTest, OnlyTheFirstAnswerIsSent) {
    HttpClient client(base_);
    auto r = client.Get("/twice");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["answer"], "first");
    EXPECT_EQ(client.Get("/hello").status, 200);  // the connection carries on, nothing extra on it
}

// An inline route runs on the I/O thread, but not with a large body: 1 MB of JSON parsed there
// would hold every other connection of the thread. Tried: a small body, and one over
// ServerOptions::inline_body_bytes (16 KB).
TEST_F(AsyncRouteTest, AnInlineRouteWithALargeBodyRunsOnAWorker) {
    HttpClient client(base_);
    auto io = client.Get("/thread");
    ASSERT_EQ(io.status, 200);
    const std::string io_thread = io.Json()["thread"].get<std::string>();
    auto small = client.Post("/thread", R"({"title":"small"})");
    ASSERT_EQ(small.status, 200);
    EXPECT_EQ(small.Json()["thread"], io_thread);
    auto large = client.Post("/thread", R"({"title":")" + std::string(20 * 1024, 'x') + R"("})");
    ASSERT_EQ(large.status, 200);
    EXPECT_NE(large.Json()["thread"], io_thread);
}

TEST_F(AsyncRouteTest, AReplyNeverAnsweredIs500) {
    auto r = HttpClient(base_).Get("/dropped");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.Json(), nlohmann::json::parse(R"({"errors":[{"message":"Something went wrong"}]})"));
}

// At the cap on open connections (ServerOptions::max_connections) a new connection waits in the
// kernel's queue until an open one closes, then is taken and answered: the path by which a
// connection, as it goes, resumes the acceptor (the shared connection count).

// ServerOptions::unix_socket: the local stack's ingress reaches the replicas through a Unix
// socket, which RESTinio does not listen on by itself (server.cpp puts it in a TCP acceptor's
// place). What could go wrong: an answer that differs from the port's, a peer address made up
// from a meaningless endpoint, accepts that stop after the first connection or on one thread,
// a file left behind or taken from someone else, a path that does not fit.
class UnixSocketTest : public ::testing::Test {
protected:
    void SetUp() override { log::Init("test", log::Level::kWarn); }

    std::unique_ptr<Server> Make(std::string socket_path) {
        Router router;
        router.Get(
            "/peer",
            [](Request& r) {
                std::ostringstream thread;
                thread << std::this_thread::get_id();
                return Response::Json(200,
                                      {{"client", r.ClientAddress()}, {"thread", thread.str()}});
            },
            Dispatch::kInline);
        router.Post("/echo", [](Request& r) { return Response::Json(200, r.JsonBody()); });
        ServerOptions options;
        options.address = "127.0.0.1";
        options.port = 0;
        options.io_threads = 2;
        options.unix_socket = std::move(socket_path);
        return std::make_unique<Server>(options, std::move(router), registry_);
    }

    std::unique_ptr<HttpClient> UnixClient() {
        auto client = std::make_unique<HttpClient>("http://localhost");
        client->UseUnixSocket(path_);
        return client;
    }

    metrics::Registry registry_;
    test::TempDir dir_{"ticketing-unix-"};
    std::string path_ = (dir_.Path() / "svc-0.sock").string();
};

TEST_F(UnixSocketTest, AnswersThroughTheSocketAsThroughThePort) {
    auto server = Make(path_);
    server->Start();
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    // nginx's workers run as another user than the service: anyone may connect, as to the port.
    EXPECT_EQ(st.st_mode & 0777, 0666u);

    auto client_holder = UnixClient();
    auto& client = *client_holder;
    auto r = client.Get("/peer");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.Json()["client"], "unix");  // not an address made up from the socket's endpoint
    EXPECT_EQ(client.Get("/peer", {{"X-Forwarded-For", "203.0.113.7"}}).Json()["client"],
              "203.0.113.7");
    auto echo = client.Post("/echo", R"({"title":"concert","price":20})");
    EXPECT_EQ(echo.status, 200);
    EXPECT_EQ(echo.Json(), (nlohmann::json{{"title", "concert"}, {"price", 20}}));
    EXPECT_EQ(client.Post("/echo", "{not json").status, 400);
    EXPECT_EQ(client.Get("/nowhere").status, 404);
    // A request RESTinio cannot parse is answered in the contract's format here too.
    const auto raw = test::RawExchange(path_, "BREW /peer HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
    EXPECT_EQ(raw.rfind("HTTP/1.1 501 ", 0), 0u) << raw;
    // The port still answers, with the peer's address.
    HttpClient tcp("http://127.0.0.1:" + std::to_string(server->port()));
    EXPECT_EQ(tcp.Get("/peer").Json()["client"], "127.0.0.1");
    server->Stop();
}

TEST_F(UnixSocketTest, ManyKeptConnectionsAreAllServedAndEachStaysOnOneThread) {
    auto server = Make(path_);
    server->Start();
    // Every I/O thread accepts from the one socket: 32 connections held open at once, three
    // requests each, all answered, each connection's on one thread.
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < 32; ++i) {
        clients.push_back(UnixClient());
    }
    std::vector<std::set<std::string>> threads(clients.size());
    for (int k = 0; k < 3; ++k) {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            auto r = clients[i]->Get("/peer");
            ASSERT_EQ(r.status, 200) << r.error;
            threads[i].insert(r.Json()["thread"].get<std::string>());
        }
    }
    for (const auto& own : threads) {
        EXPECT_EQ(own.size(), 1u) << "one connection's requests ran on two threads";
    }
    server->Stop();
}

TEST_F(UnixSocketTest, AStaleSocketFileIsReplacedAndTheFileGoesWithTheServer) {
    {
        // What a killed process leaves: a socket file nobody listens on.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path_.data(), path_.size());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ::close(fd);
        ASSERT_TRUE(std::filesystem::exists(path_));
    }
    auto server = Make(path_);
    server->Start();
    EXPECT_EQ(UnixClient()->Get("/peer").status, 200);
    server->Stop();
    EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(UnixSocketTest, ASocketAnotherServerListensOnIsNotTakenFromIt) {
    auto first = Make(path_);
    first->Start();
    metrics::Registry other_registry;
    Router router;
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.unix_socket = path_;
    Server second(options, std::move(router), other_registry);
    try {
        second.Start();
        ADD_FAILURE() << "a second server took the socket of a live one";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("is in use"), std::string::npos) << e.what();
    }
    // The first one still answers there.
    EXPECT_EQ(UnixClient()->Get("/peer").status, 200);
    first->Stop();
}

TEST_F(UnixSocketTest, AFileThatIsNotASocketIsLeftAloneAndTheServerDoesNotStart) {
    { std::ofstream(path_) << "someone else's"; }
    auto server = Make(path_);
    EXPECT_ANY_THROW(server->Start());
    std::ifstream in(path_);
    std::string kept;
    std::getline(in, kept);
    EXPECT_EQ(kept, "someone else's");
}

TEST_F(UnixSocketTest, APathTooLongForASocketAddressIsRefusedWithTheReason) {
    auto server = Make((dir_.Path() / std::string(120, 'x')).string());
    try {
        server->Start();
        ADD_FAILURE() << "started on a path of more than 107 bytes";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP_UNIX_SOCKET path is too long"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ConnectionCap, AConnectionOverTheCapIsAnsweredOnceAnotherCloses) {
    log::Init("test", log::Level::kWarn);
    metrics::Registry registry;
    Router router;
    router.Get("/hello", [](Request&) { return Response::Json(200, {{"hello", "world"}}); },
               Dispatch::kInline);
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.workers = 1;
    options.max_connections = 2;
    Server server(options, std::move(router), registry);
    server.Start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    auto first = std::make_unique<HttpClient>(base);
    HttpClient second(base);
    ASSERT_EQ(first->Get("/hello").status, 200);  // two keep-alive connections: the cap
    ASSERT_EQ(second.Get("/hello").status, 200);
    auto third = std::async(std::launch::async, [&] {
        HttpClient client(base);
        client.SetTimeout(20'000);
        return client.Get("/hello");
    });
    first.reset();  // its connection closes: a slot frees
    ASSERT_EQ(third.wait_for(15s), std::future_status::ready);
    EXPECT_EQ(third.get().status, 200);
    EXPECT_EQ(second.Get("/hello").status, 200);
}

}  // namespace
}  // namespace ticketing::http

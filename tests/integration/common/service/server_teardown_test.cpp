// An HTTP server (every service's) destroyed while connections still need it: an idle keep-alive
// connection (an ingress keeps hundreds), and a request of an async route (http::Router::AddAsync)
// whose Reply is answered after the server stopped and was destroyed, as a SQLite write that
// outlasted the shutdown grace would be answered by the database's writer thread. Such a
// connection goes after the server's acceptor; it used to count itself out of the acceptor's
// freed connection limiter, and a late answer reached into the freed server. Under the asan
// preset (ServiceLifetime.UnderAsan runs this executable) AddressSanitizer reports any such
// access; in every build the late answer must be dropped and the client must get no answer.
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/http_client.hpp"

namespace ticketing::http {
namespace {

using namespace std::chrono_literals;
using ticketing::test::HttpClient;

ServerOptions OneThreadOptions() {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.workers = 1;
    options.shutdown_grace = 100ms;  // a held request outlasts it
    return options;
}

std::string BaseUrl(const Server& server) {
    return "http://127.0.0.1:" + std::to_string(server.port());
}

TEST(ServerTeardown, AnIdleKeepAliveConnectionOutlivesTheServerSafely) {
    log::Init("test", log::Level::kWarn);
    metrics::Registry registry;
    Router router;
    router.Get("/hello", [](Request&) { return Response::Json(200, {{"hello", "world"}}); },
               Dispatch::kInline);
    auto server = std::make_unique<Server>(OneThreadOptions(), std::move(router), registry);
    server->Start();
    HttpClient client(BaseUrl(*server));
    ASSERT_EQ(client.Get("/hello").status, 200);  // the connection stays open, idle
    server.reset();
    EXPECT_EQ(client.Get("/hello").status, 0);  // closed with the server: no answer
}

TEST(ServerTeardown, AnAnswerAfterTheServerIsGoneIsDroppedAndTheClientGetsNone) {
    log::Init("test", log::Level::kWarn);
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Reply> held;
    auto registry = std::make_unique<metrics::Registry>();
    Router router;
    router.AddAsync(
        Method::kGet,
        "/held",
        [&](Request&, Reply reply) {
            std::lock_guard lock(mu);
            held = std::move(reply);
            cv.notify_all();
        },
        Dispatch::kInline);
    auto server = std::make_unique<Server>(OneThreadOptions(), std::move(router), *registry);
    server->Start();
    const std::string base = BaseUrl(*server);

    auto waiting = std::async(std::launch::async, [&] {
        HttpClient client(base);
        client.SetTimeout(20'000);
        return client.Get("/held");
    });
    {
        std::unique_lock lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return held.has_value(); }));
    }

    server.reset();    // stops after the grace, with the request still in flight
    registry.reset();  // the service's registry goes with the service
    {
        Reply late = std::move(*held);
        held.reset();
        late(Response::Json(200, {{"answered", "too late"}}));  // dropped
    }  // the last Reply goes, and with it what was left of the server

    ASSERT_EQ(waiting.wait_for(15s), std::future_status::ready)
        << "the client's connection stayed open after the last reply went";
    auto r = waiting.get();
    EXPECT_EQ(r.status, 0) << "an answer reached the client after its server was destroyed: "
                           << r.body;
}

}  // namespace
}  // namespace ticketing::http

// ticketing-hello: the smallest service built on common/http, for the HTTP benchmark
// (scripts/bench-http.sh) and the process-level shutdown test. GET /hello answers
// {"hello":"world"}; --inline runs it on the I/O threads instead of the worker pool.
// GET /slow?ms=N answers after N milliseconds (at most 10 s): a request that is still in flight
// when the process is told to stop.
// --body-file F (scripts/bench-ingress.sh): GET /api/tickets/:id answers F's content as JSON on
// the I/O threads, logging like a service (buffered, one info line per request): a service that
// does everything but read a database, the floor of GET /api/tickets/:id on this HTTP layer.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"

int main(int argc, char** argv) {
    using namespace ticketing;
    http::BlockTerminationSignals();
    http::ServerOptions options;
    options.port = 3000;
    bool inline_dispatch = false;
    std::string body_file;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--inline") {
            inline_dispatch = true;
        } else if (arg == "--port" && i + 1 < argc) {
            options.port = static_cast<std::uint16_t>(std::stoi(argv[++i]));
        } else if (arg == "--workers" && i + 1 < argc) {
            options.workers = static_cast<std::size_t>(std::stoi(argv[++i]));
        } else if (arg == "--body-file" && i + 1 < argc) {
            body_file = argv[++i];
        } else if (arg == "--unix-socket" && i + 1 < argc) {
            options.unix_socket = argv[++i];
        } else if (arg == "--io-threads" && i + 1 < argc) {
            options.io_threads = static_cast<std::size_t>(std::stoi(argv[++i]));
        } else {
            std::cerr << "usage: ticketing-hello [--port N] [--unix-socket PATH] [--io-threads N] "
                         "[--workers N] [--inline] [--body-file F]\n";
            return 2;
        }
    }
    const char* level = std::getenv("LOG_LEVEL");
    log::Init("hello", log::ParseLevel(level ? level : "info").value_or(log::Level::kInfo));
    metrics::Registry registry;
    http::Router router;
    if (!body_file.empty()) {
        std::ifstream in(body_file);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in || text.str().empty()) {
            std::cerr << "ticketing-hello: cannot read " << body_file << "\n";
            return 2;
        }
        log::BufferOutput();
        router.Get(
            "/api/tickets/:id",
            [body = text.str()](http::Request&) { return http::Response::JsonText(200, body); },
            http::Dispatch::kInline);
    }
    router.Get(
        "/hello",
        [](http::Request&) {
            return http::Response::Json(200, {{"hello", "world"}});
        },
        inline_dispatch ? http::Dispatch::kInline : http::Dispatch::kWorker);
    router.Get("/slow", [](http::Request& r) {
        int ms = std::clamp(std::stoi(r.Query("ms").value_or("1000")), 0, 10000);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return http::Response::Json(200, {{"slept", ms}});
    });
    http::Server server(options, std::move(router), registry);
    server.RunUntilSignal();
    return 0;
}

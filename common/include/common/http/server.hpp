// Server: the HTTP server every service runs, built on RESTinio but hiding it (no RESTinio or
// asio type appears here). It adds what every service needs around the Router:
//   - request ids (X-Request-Id taken or made) and W3C traceparent (taken or made),
//   - a body size limit (413) and the contract's error format for every error, including 404
//     for unknown routes, 405 (with Allow) for a known path with another method, an answer
//     (400, 413, 414, 431, 501) to a request that cannot be parsed instead of a closed
//     connection, and 500 "Something went wrong" for unexpected exceptions,
//   - a worker pool with a bounded queue so blocking handlers never stall the I/O threads and
//     a flood is answered 503 with Retry-After rather than queued without end,
//   - a cap on open connections and read/write time limits,
//   - one access-log line per request and request metrics (count by route and status, latency),
//   - GET /healthz, GET /readyz (pluggable readiness checks) and GET /metrics,
//   - graceful shutdown: stop accepting, finish in-flight requests, then return.
// Thread-safety: construct, AddReadinessCheck and Start on one thread; Stop may be called from
// any thread (also from a signal-handling thread), once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/http/router.hpp"

namespace ticketing::metrics {
class Registry;
}

namespace ticketing::http {

struct ServerOptions {
    std::string address = "0.0.0.0";  // HTTP_ADDRESS (the local stack binds 127.0.0.1)
    std::uint16_t port = 3000;         // 0: any free port (see Server::port())
    // HTTP_UNIX_SOCKET: when set, the server also listens on this Unix socket path (the local
    // stack's ingress reaches its replicas there: no TCP stack between two processes of one
    // machine). Every I/O thread accepts from it; a stale socket file is replaced, and the file
    // is removed when the server stops. max_connections counts the socket's connections apart
    // from the port's.
    std::string unix_socket;
    // HTTP_IO_THREADS. Each I/O thread has its own listening socket on the port (SO_REUSEPORT)
    // and serves the connections that socket accepted, start to end.
    std::size_t io_threads = 2;
    std::size_t workers = 16;  // HTTP_WORKERS
    // Requests waiting for a worker beyond this are answered 503 with Retry-After at once.
    std::size_t queue_limit = 1024;
    // Open connections beyond this wait in the listen backlog until one closes. Each I/O thread
    // takes its share (max_connections / io_threads, rounded up): the kernel hands a new
    // connection to one thread's socket before the server sees it, so a connection can wait for
    // its thread while another thread has room; the server never holds more than this.
    std::size_t max_connections = 2048;
    // Accepts kept pending on the listening socket. With one per I/O thread, the burst of a few
    // hundred connections an ingress opens at once was taken two at a time between requests,
    // and the first requests on the last ones waited: GET /api/tickets/:id at 400 connections
    // had a p99 of 33-188 ms over four runs, and 34-39 ms with 64 (issue 20).
    std::size_t concurrent_accepts = 64;
    // A connection idle (or sending a request) longer than this is closed; so is one that does
    // not take its response within write_timeout.
    std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
    // Larger JSON bodies are answered 413. Bodies beyond 16× this are cut off by closing the
    // connection (the ingress limits bodies to 1 MB before they get here).
    std::size_t max_body_bytes = 1024 * 1024;
    // A request to a Dispatch::kInline route whose body is larger than this runs on a worker
    // all the same: parsing a megabyte of JSON would hold the I/O thread, and every other
    // connection on it, for milliseconds.
    std::size_t inline_body_bytes = 16 * 1024;
    // How long Stop waits for in-flight requests before closing anyway.
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(20)};
    // A handler that takes longer than this gets its connection closed by RESTinio.
    std::chrono::milliseconds handler_timeout{std::chrono::seconds(120)};
};

class Server {
public:
    Server(ServerOptions options, Router router, metrics::Registry& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // A named check run by GET /readyz; all must return true for 200, else 503 with the names
    // of the failing ones. Checks run on a worker thread and must not throw (a throw is false).
    void AddReadinessCheck(std::string name, std::function<bool()> check);

    // Binds and starts serving; returns once the port is open. Throws if it cannot bind.
    void Start();
    // The bound port (after Start).
    std::uint16_t port() const;
    // Graceful stop: no new connections, in-flight requests finish (up to shutdown_grace),
    // then the threads are joined. Idempotent.
    void Stop();

    // Start, block until SIGINT or SIGTERM, then Stop. For main().
    void RunUntilSignal();

private:
    class Impl;
    // Shared with the Replies of async routes not answered yet: a reply answered after the
    // server stopped and was destroyed (a write that outlasted the shutdown grace) finds its
    // io_context and counters still there, and is dropped.
    std::shared_ptr<Impl> impl_;
};

// Blocks SIGINT and SIGTERM in the calling thread (call first thing in main, before any thread
// starts, so every thread inherits the mask) and ignores SIGPIPE. WaitForTerminationSignal
// returns the one that arrived when it arrives.
void BlockTerminationSignals();
int WaitForTerminationSignal();
// True when SIGINT or SIGTERM arrived and waits (blocked) for WaitForTerminationSignal: lets a
// long start-up wait give up at once when the process is asked to stop.
bool TerminationSignalPending();

}  // namespace ticketing::http

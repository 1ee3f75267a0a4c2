// The only translation unit that includes RESTinio and asio (STYLE.md: heavy headers stay in
// one .cpp of common).
#include "common/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <restinio/all.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/http/errors.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"

#include "worker_pool.hpp"

namespace ticketing::http {

// Each I/O thread runs an io_context of its own with a listening socket of its own on the
// same port (SO_REUSEPORT: the kernel spreads new connections over them), so a connection's
// handlers all run on one thread and need no strand. With one io_context run by two threads,
// every step of every request went through a strand and the shared scheduler's lock, and
// the threads woke each other: 26.7 µs of CPU per request of the hello server against 20.6 µs
// with one thread (issue 20).
// Plus a cap on open connections (ServerOptions::max_connections): at the cap the server stops
// accepting until one closes.
struct ServerTraits
    : restinio::single_thread_traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t> {
    static constexpr bool use_connection_count_limiter = true;
};

}  // namespace ticketing::http

namespace ticketing::http {

// The cap on open connections (ServerOptions::max_connections), counted as RESTinio's own limiter
// counts, with one difference: RESTinio's lives in its acceptor, and each connection counts
// itself out of it through a plain pointer when it goes. A connection still held when the server
// is destroyed (an idle keep-alive connection's pending read, abandoned with its io_context; a
// request whose async answer outlived the shutdown grace) went after the acceptor and wrote into
// freed memory (AddressSanitizer, ServiceLifetime.UnderAsan). Here the count is shared by the
// limiter and every connection, and forgets the acceptor when it goes.
// A connection may also end on a worker thread (its last handle dropped after a worker-dispatched
// answer): the count is under a mutex.
class SharedConnectionLimiter {
public:
    using AcceptorCallback = restinio::connection_count_limits::impl::acceptor_callback_iface_t;

    struct Count {
        std::mutex mu;
        AcceptorCallback* acceptor;  // null once the acceptor is gone
        std::size_t active_accepts = 0;
        std::size_t connections = 0;
        std::size_t max;
        std::vector<std::size_t> pending_accepts;
        bool HasFreeSlots() const { return active_accepts + connections < max; }
    };

    SharedConnectionLimiter(restinio::not_null_pointer_t<AcceptorCallback> acceptor,
                            restinio::connection_count_limits::max_parallel_connections_t max,
                            restinio::connection_count_limits::max_active_accepts_t accepts)
        : count_(std::make_shared<Count>()) {
        count_->acceptor = acceptor;
        count_->max = max.value();
        count_->pending_accepts.reserve(accepts.value());
    }
    ~SharedConnectionLimiter() {
        std::lock_guard lock(count_->mu);
        count_->acceptor = nullptr;
    }
    SharedConnectionLimiter(const SharedConnectionLimiter&) = delete;
    SharedConnectionLimiter& operator=(const SharedConnectionLimiter&) = delete;

    void increment_parallel_connections() noexcept {
        std::lock_guard lock(count_->mu);
        --count_->active_accepts;
        ++count_->connections;
    }
    void decrement_parallel_connections() noexcept { Decrement(*count_); }
    void accept_next(std::size_t index) noexcept {
        std::lock_guard lock(count_->mu);
        if (!count_->HasFreeSlots()) {
            count_->pending_accepts.push_back(index);
            return;
        }
        ++count_->active_accepts;
        count_->acceptor->call_accept_now(index);  // starts an async accept, never re-enters
    }

    const std::shared_ptr<Count>& count() const { return count_; }

    // A slot freed: a pending accept resumes, if the acceptor is still there (defined below, once
    // RESTinio knows this limiter).
    static void Decrement(Count& count) noexcept;

private:
    std::shared_ptr<Count> count_;
};

// A connection's place in the count, held by the connection: it keeps the count alive.
class SharedConnectionSlot {
public:
    explicit SharedConnectionSlot(restinio::not_null_pointer_t<SharedConnectionLimiter> limiter)
        : count_(limiter->count()) {
        limiter->increment_parallel_connections();
    }
    ~SharedConnectionSlot() {
        if (count_) {
            SharedConnectionLimiter::Decrement(*count_);
        }
    }
    SharedConnectionSlot(SharedConnectionSlot&& other) noexcept = default;
    SharedConnectionSlot& operator=(SharedConnectionSlot&& other) noexcept {
        SharedConnectionSlot gone(std::move(other));
        std::swap(count_, gone.count_);
        return *this;
    }
    SharedConnectionSlot(const SharedConnectionSlot&) = delete;
    SharedConnectionSlot& operator=(const SharedConnectionSlot&) = delete;

private:
    std::shared_ptr<SharedConnectionLimiter::Count> count_;
};

}  // namespace ticketing::http

template <>
struct restinio::connection_count_limit_types<ticketing::http::ServerTraits> {
    using limiter_t = ticketing::http::SharedConnectionLimiter;
    using lifetime_monitor_t = ticketing::http::SharedConnectionSlot;
};

namespace ticketing::http {

// The acceptor is held while it is called: a connection may end on another thread (a worker, a
// database's writer answering an async route) while the acceptor is being destroyed, and a
// RESTinio acceptor asks for itself (shared_from_this) when it schedules an accept, which would
// throw inside noexcept then. An acceptor whose last owner is gone is skipped; it accepts no
// more anyway. The strong reference is dropped outside the lock: this thread may be the last
// owner, and the acceptor's limiter takes the same lock as it goes.
void SharedConnectionLimiter::Decrement(Count& count) noexcept {
    using Acceptor = restinio::impl::acceptor_t<ServerTraits>;
    std::shared_ptr<Acceptor> acceptor;
    AcceptorCallback* callback = nullptr;
    std::size_t index = 0;
    {
        std::lock_guard lock(count.mu);
        --count.connections;
        if (count.acceptor != nullptr && count.HasFreeSlots() && !count.pending_accepts.empty()) {
            // The interface is a protected base: the acceptor is the complete object.
            acceptor = static_cast<Acceptor*>(dynamic_cast<void*>(count.acceptor))
                           ->weak_from_this()
                           .lock();
            if (acceptor) {
                callback = count.acceptor;
                index = count.pending_accepts.back();
                count.pending_accepts.pop_back();
            }
        }
    }
    if (callback != nullptr) {
        callback->schedule_next_accept_attempt(index);  // only posts the accept
    }
}

namespace {

// A request RESTinio cannot parse (an unknown method, bad syntax, a line or header over the
// limits) gets an answer in the contract's format before the connection closes: without one a
// proxy counts the closed connection as a failed upstream and takes the replica out of rotation.
struct ParseErrorAnswer {
    int status;
    std::string_view reason;
    std::string_view message;
};

ParseErrorAnswer AnswerFor(http_errno err) {
    switch (err) {
        case HPE_INVALID_METHOD:
            return {501, "Not Implemented", "Method not implemented"};
        case HPE_CB_url:
            return {414, "URI Too Long", "Request URI is too long"};
        case HPE_HEADER_OVERFLOW:
        case HPE_CB_header_field:
        case HPE_CB_header_value:
            return {431, "Request Header Fields Too Large", "Request headers are too large"};
        case HPE_CB_headers_complete:  // a Content-Length over the limit
        case HPE_CB_body:
            return {413, "Payload Too Large", "Request body is too large"};
        default:
            return {400, "Bad Request", "Malformed request"};
    }
}

}  // namespace
}  // namespace ticketing::http

// RESTinio 0.6 closes a connection on a parse error without answering ("TODO: handle case when
// there are some request in process"). This explicit specialisation of its parsing step, for
// our traits only, answers first when no earlier request of the connection is still in
// progress (otherwise it closes as RESTinio does: a response cannot overtake the pending ones).
template <>
inline void restinio::impl::connection_t<ticketing::http::ServerTraits>::consume_data(
    const char* data, std::size_t length) {
    auto& parser = m_input.m_parser;
    const auto nparsed =
        http_parser_execute(&parser, &(m_settings->m_parser_settings), data, length);
    m_input.m_buf.consumed_bytes(nparsed);
    if (HPE_OK != parser.http_errno && HPE_PAUSED != parser.http_errno) {
        if (!m_response_coordinator.empty()) {
            close();
            return;
        }
        const auto answer = ticketing::http::AnswerFor(HTTP_PARSER_ERRNO(&parser));
        const std::string body = R"({"errors":[{"message":")" + std::string(answer.message) +
                                 R"("}]})";
        auto text = std::make_shared<std::string>(
            "HTTP/1.1 " + std::to_string(answer.status) + " " + std::string(answer.reason) +
            "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        asio_ns::async_write(
            m_socket,
            asio_ns::buffer(*text),
            asio_ns::bind_executor(
                this->get_executor(),
                [this, ctx = shared_from_this(), text](const asio_ns::error_code&,
                                                       std::size_t) noexcept { close(); }));
        return;
    }
    if (m_input.m_parser_ctx.m_message_complete) {
        on_request_message_complete();
    } else {
        consume_message();
    }
}

namespace ticketing::http {
namespace {

using RestServer = restinio::http_server_t<ServerTraits>;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kHex = "0123456789abcdef";

std::string RandomHexString(std::size_t chars) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string out(chars, '0');
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < chars; ++i) {
        if (i % 16 == 0) {
            bits = rng();
        }
        out[i] = kHex[bits & 0xF];
        bits >>= 4;
    }
    return out;
}

bool IsLowerHex(std::string_view s) {
    return s.find_first_not_of(kHex) == std::string_view::npos;
}

// Keeps a client's X-Request-Id when it is short and harmless (it is echoed and logged).
bool IsAcceptableRequestId(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// W3C trace context: keep the caller's trace id and flags, start a new span for this hop.
std::string ChildTraceparent(std::optional<std::string_view> incoming) {
    if (incoming && incoming->size() == 55 && incoming->substr(0, 3) == "00-" &&
        (*incoming)[35] == '-' && (*incoming)[52] == '-') {
        auto trace_id = incoming->substr(3, 32);
        auto flags = incoming->substr(53, 2);
        if (IsLowerHex(trace_id) && IsLowerHex(flags) && trace_id != std::string(32, '0') &&
            IsLowerHex(incoming->substr(36, 16))) {
            return "00-" + std::string(trace_id) + "-" + RandomHexString(16) + "-" +
                   std::string(flags);
        }
    }
    return "00-" + RandomHexString(32) + "-" + RandomHexString(16) + "-01";
}

Method ToMethod(const restinio::http_method_id_t& m) {
    switch (m.raw_id()) {
        case HTTP_GET:
            return Method::kGet;
        case HTTP_POST:
            return Method::kPost;
        case HTTP_PUT:
            return Method::kPut;
        case HTTP_PATCH:
            return Method::kPatch;
        case HTTP_DELETE:
            return Method::kDelete;
        case HTTP_HEAD:
            return Method::kHead;
        case HTTP_OPTIONS:
            return Method::kOptions;
        default:
            return Method::kOther;
    }
}

const char* ReasonPhrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 415:
            return "Unsupported Media Type";
        case 431:
            return "Request Header Fields Too Large";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

using ReusePort = restinio::asio_ns::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Response ErrorResponse(const HttpError& e) {
    Response r = Response::Text(e.status(), e.Body(), "application/json; charset=utf-8");
    if (e.status() == 503 || e.status() == 429) {
        r.AddHeader("Retry-After", std::to_string(e.retry_after_seconds()));
    }
    return r;
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
public:
    Impl(ServerOptions options, Router router, metrics::Registry& registry)
        : options_(std::move(options)),
          router_(std::move(router)),
          registry_(registry),
          requests_(registry.AddCounter("http_requests_total",
                                        "HTTP requests by method, route and status")),
          latency_(registry.AddHistogram("http_request_duration_seconds",
                                         "HTTP request latency by method and route")),
          in_flight_gauge_(
              registry.AddGauge("http_requests_in_flight", "HTTP requests being handled").With()) {
        AddBuiltinRoutes();
    }

    ~Impl() { Stop(); }

    void AddReadinessCheck(std::string name, std::function<bool()> check) {
        checks_.emplace_back(std::move(name), std::move(check));
    }

    void Start() {
        workers_ = std::make_unique<WorkerPool>(std::max<std::size_t>(1, options_.workers),
                                                std::max<std::size_t>(1, options_.queue_limit));
        const std::size_t n = std::max<std::size_t>(1, options_.io_threads);
        // With several listening sockets on one port, the port is taken first without
        // SO_REUSEPORT: a port in use (another instance of the service included, whose sockets
        // are listening) fails here as it did with one socket, and port 0 becomes a free port.
        std::uint16_t port = options_.port;
        if (n > 1) {
            port = ClaimPort();
        }
        for (std::size_t i = 0; i < n; ++i) {
            auto lane = std::make_unique<Lane>();
            std::promise<std::uint16_t> bound;
            auto bound_future = bound.get_future();
            auto settings =
                Settings(n, options_.address, port, /*unix_peer=*/false)
                    .acceptor_options_setter([n](restinio::acceptor_options_t& o) {
                        o.set_option(restinio::asio_ns::ip::tcp::acceptor::reuse_address(true));
                        if (n > 1) {
                            o.set_option(ReusePort(true));
                        }
                    })
                    .acceptor_post_bind_hook([&bound](restinio::asio_ns::ip::tcp::acceptor& a) {
                        bound.set_value(a.local_endpoint().port());
                    });
            lane->server = std::make_unique<RestServer>(restinio::external_io_context(lane->io),
                                                        std::move(settings));
            lane->work_guard.emplace(restinio::asio_ns::make_work_guard(lane->io));
            lane->server->open_sync();
            port = bound_future.get();
            lanes_.push_back(std::move(lane));
        }
        if (!options_.unix_socket.empty()) {
            ListenOnUnixSocket();
        }
        port_ = port;
        for (auto& lane : lanes_) {
            lane->thread = std::thread([io = &lane->io] { io->run(); });
        }
        started_ = true;
        log::Info("http server listening",
                  {{"address", options_.address},
                   {"port", static_cast<int>(port_)},
                   {"io_threads", static_cast<std::int64_t>(n)}});
    }

    std::uint16_t port() const { return port_; }

    void Stop() {
        if (!started_ || stopped_.exchange(true)) {
            return;
        }
        draining_.store(true);
        // 1. No new connections.
        for (auto& lane : lanes_) {
            for (auto* server : {lane->server.get(), lane->unix_server.get()}) {
                if (server == nullptr) {
                    continue;
                }
                std::promise<void> closed;
                server->close_async([&closed] { closed.set_value(); },
                                    [&closed](std::exception_ptr) { closed.set_value(); });
                closed.get_future().wait();
            }
        }
        if (unix_socket_bound_) {
            ::unlink(options_.unix_socket.c_str());
        }
        // 2. In-flight requests finish and their responses are written (bounded by the grace).
        {
            std::unique_lock lock(mu_);
            bool drained =
                cv_.wait_for(lock, options_.shutdown_grace, [this] { return in_flight_ == 0; });
            if (!drained) {
                log::Warn("http server stopping with requests still in flight",
                          {{"in_flight", static_cast<std::int64_t>(in_flight_)}});
            }
            // From here on what is still in flight is dropped: the metrics may go with the
            // server's owner (the InFlightTokens stop counting them).
            closed_ = true;
        }
        {
            // Waits for an async answer being written now; any later one is dropped.
            std::unique_lock gate(answer_gate_);
            answers_closed_ = true;
        }
        // 3. Threads down: workers first (they may still post responses), then I/O.
        workers_->Shutdown();
        for (auto& lane : lanes_) {
            lane->work_guard.reset();
            lane->io.stop();
        }
        for (auto& lane : lanes_) {
            lane->thread.join();
        }
        for (auto& lane : lanes_) {
            lane->unix_server.reset();
            lane->server.reset();
        }
        log::Info("http server stopped");
    }

private:
    // What every listening server of the lanes shares: limits, timeouts, the request handler.
    // unix_peer: its connections come through the Unix socket (no peer address).
    restinio::server_settings_t<ServerTraits> Settings(std::size_t lanes,
                                                       const std::string& address,
                                                       std::uint16_t port,
                                                       bool unix_peer) {
        return restinio::server_settings_t<ServerTraits>{}
            .address(address)
            .port(port)
            .request_handler(
                [this, unix_peer](auto req) { return OnRequest(std::move(req), unix_peer); })
            .incoming_http_msg_limits(
                restinio::incoming_http_msg_limits_t{}
                    .max_body_size(static_cast<std::uint64_t>(options_.max_body_bytes) * 16)
                    .max_url_size(8 * 1024)
                    .max_field_name_size(1024)
                    .max_field_value_size(8 * 1024)
                    .max_field_count(100))
            .handle_request_timeout(options_.handler_timeout)
            .read_next_http_message_timelimit(options_.read_timeout)
            .write_http_response_timelimit(options_.write_timeout)
            .max_parallel_connections(
                std::max<std::size_t>(1, (options_.max_connections + lanes - 1) / lanes))
            .max_pipelined_requests(16)
            .concurrent_accepts_count(
                std::clamp<std::size_t>(options_.concurrent_accepts, 1, 1024));
    }

    // The Unix socket (ServerOptions::unix_socket): one listening socket, which a second server
    // on every lane accepts from. RESTinio 0.6 only listens on TCP: each of those servers opens
    // its acceptor on a loopback port as usual, and its post-bind hook puts a duplicate of the
    // Unix listening socket in that acceptor's place. asio's TCP socket then reads, writes and
    // accepts with the same system calls, which do not depend on the address family; only the
    // peer's address is meaningless (OnRequest records "unix" instead).
    void ListenOnUnixSocket() {
        const std::string& path = options_.unix_socket;
        sockaddr_un address{};
        if (path.size() >= sizeof(address.sun_path)) {
            throw std::runtime_error("HTTP_UNIX_SOCKET path is too long (" +
                                     std::to_string(path.size()) + " bytes, at most " +
                                     std::to_string(sizeof(address.sun_path) - 1) + "): " + path);
        }
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.data(), path.size());
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw std::system_error(errno, std::generic_category(), "socket(AF_UNIX)");
        }
        struct stat existing {};
        if (::lstat(path.c_str(), &existing) == 0 && S_ISSOCK(existing.st_mode)) {
            // A socket someone still listens on (another server given the same path) is theirs;
            // one nobody answers was left by a process that did not stop cleanly.
            const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const bool live =
                probe >= 0 &&
                ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
            if (probe >= 0) {
                ::close(probe);
            }
            if (live) {
                ::close(fd);
                throw std::runtime_error("HTTP_UNIX_SOCKET " + path +
                                         " is in use: another server listens on it");
            }
            ::unlink(path.c_str());
        }
        // Anyone on the machine may connect, as to the loopback port (nginx's workers run as
        // another user than its master).
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
            ::chmod(path.c_str(), 0666) != 0 || ::listen(fd, SOMAXCONN) != 0) {
            const int err = errno;
            ::close(fd);
            throw std::system_error(err, std::generic_category(), "listening on " + path);
        }
        unix_socket_bound_ = true;
        const std::size_t n = lanes_.size();
        try {
            for (auto& lane : lanes_) {
                auto settings =
                    Settings(n, "127.0.0.1", 0, /*unix_peer=*/true)
                        .acceptor_post_bind_hook([fd](restinio::asio_ns::ip::tcp::acceptor& a) {
                            const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
                            if (copy < 0) {
                                throw std::system_error(errno, std::generic_category(), "dup");
                            }
                            a.close();
                            a.assign(restinio::asio_ns::ip::tcp::v4(), copy);
                        });
                lane->unix_server = std::make_unique<RestServer>(
                    restinio::external_io_context(lane->io), std::move(settings));
                lane->unix_server->open_sync();
            }
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
    }

    // Binds the address and port without SO_REUSEPORT, and lets go: throws as binding always
    // did if the port is in use, and turns port 0 into a free port for the lanes.
    std::uint16_t ClaimPort() const {
        namespace asio = restinio::asio_ns;
        asio::io_context io;
        // Besides addresses, RESTinio takes these two names.
        asio::ip::address address;
        if (options_.address == "localhost") {
            address = asio::ip::address_v4::loopback();
        } else if (options_.address == "ip6-localhost") {
            address = asio::ip::address_v6::loopback();
        } else {
            address = asio::ip::make_address(options_.address);
        }
        asio::ip::tcp::endpoint endpoint(address, options_.port);
        asio::ip::tcp::acceptor probe(io);
        probe.open(endpoint.protocol());
        probe.set_option(asio::ip::tcp::acceptor::reuse_address(true));
        probe.bind(endpoint);
        return probe.local_endpoint().port();
    }

    // Counts a request from its arrival until its response has been written (or dropped):
    // the token lives in the response's write callback, so it dies when RESTinio is done with
    // the response whatever happened to the connection.
    class InFlightToken {
    public:
        explicit InFlightToken(Impl& impl) : impl_(impl) {
            std::lock_guard lock(impl_.mu_);
            ++impl_.in_flight_;
            impl_.in_flight_gauge_.Inc();
        }
        ~InFlightToken() {
            {
                std::lock_guard lock(impl_.mu_);
                --impl_.in_flight_;
                if (!impl_.closed_) {
                    impl_.in_flight_gauge_.Dec();
                }
            }
            impl_.cv_.notify_all();
        }
        InFlightToken(const InFlightToken&) = delete;
        InFlightToken& operator=(const InFlightToken&) = delete;

    private:
        Impl& impl_;
    };

    struct Call {
        restinio::request_handle_t raw;
        Request request;
        const Route* route = nullptr;
        Clock::time_point started;
        std::shared_ptr<InFlightToken> token;
    };

    void AddBuiltinRoutes() {
        Router builtin;
        builtin.Get(
            "/healthz",
            [](Request&) {
                return Response::Json(200, {{"status", "ok"}});
            },
            Dispatch::kInline);
        builtin.Get(
            "/metrics",
            [this](Request&) {
                return Response::Text(200, registry_.Render(), "text/plain; version=0.0.4");
            },
            Dispatch::kInline);
        builtin.Get("/readyz", [this](Request&) { return Readiness(); });
        builtin_ = std::move(builtin);
    }

    Response Readiness() {
        std::vector<FieldError> failing;
        for (const auto& [name, check] : checks_) {
            bool ok = false;
            try {
                ok = check();
            } catch (const std::exception& e) {
                log::Warn("readiness check threw", {{"check", name}, {"error", e.what()}});
            }
            if (!ok) {
                failing.push_back({"Not ready: " + name, std::nullopt});
            }
        }
        if (!failing.empty()) {
            return ErrorResponse(HttpError(503, std::move(failing)));
        }
        return Response::Json(200, {{"status", "ready"}});
    }

    restinio::request_handling_status_t OnRequest(restinio::request_handle_t raw, bool unix_peer) {
        auto call = std::make_shared<Call>();
        call->started = Clock::now();
        call->token = std::make_shared<InFlightToken>(*this);
        const auto& header = raw->header();
        std::vector<std::pair<std::string, std::string>> headers;
        headers.reserve(header.fields_count());
        header.for_each_field([&headers](const restinio::http_header_field_t& f) {
            headers.emplace_back(f.name(), f.value());
        });
        call->request = Request(ToMethod(header.method()),
                                std::string(header.path()),
                                std::string(header.query()),
                                std::move(headers),
                                raw->body());
        auto incoming_id = call->request.Header("x-request-id");
        std::string request_id = incoming_id && IsAcceptableRequestId(*incoming_id)
                                     ? std::string(*incoming_id)
                                     : RandomHexString(32);
        call->request.SetRequestContext(std::move(request_id),
                                        ChildTraceparent(call->request.Header("traceparent")));
        call->request.SetPeerAddress(unix_peer ? std::string("unix")
                                               : raw->remote_endpoint().address().to_string());
        call->raw = std::move(raw);

        if (call->request.body().size() > options_.max_body_bytes) {
            Finish(*call, ErrorResponse(PayloadTooLargeError()));
            return restinio::request_accepted();
        }
        auto match = builtin_.Find(call->request.method(), call->request.path());
        if (!match) {
            match = router_.Find(call->request.method(), call->request.path());
        }
        if (!match) {
            Finish(*call, Unmatched(call->request));
            return restinio::request_accepted();
        }
        call->route = match->route;
        call->request.SetParams(std::move(match->params));
        if (call->route->dispatch == Dispatch::kInline &&
            call->request.body().size() <= options_.inline_body_bytes) {
            Run(call);
        } else if (!workers_->TryPost([this, call] { Run(call); })) {
            // The queue in front of the workers is full: shed the request now rather than let
            // every client wait behind it.
            Finish(*call, ErrorResponse(ServiceUnavailableError("Server busy, please retry")));
        }
        return restinio::request_accepted();
    }

    // No route: 405 with Allow when the path exists for other methods, else 404.
    Response Unmatched(const Request& request) const {
        auto allowed = builtin_.AllowedMethods(request.path());
        for (Method m : router_.AllowedMethods(request.path())) {
            allowed.push_back(m);
        }
        if (allowed.empty()) {
            return ErrorResponse(NotFoundError());
        }
        std::string allow;
        for (Method m : allowed) {
            allow += (allow.empty() ? "" : ", ") + std::string(MethodName(m));
        }
        return ErrorResponse(HttpError(405, "Method not allowed")).AddHeader("Allow", allow);
    }

    // The one error middleware: typed errors (HTTP, domain, database: ToHttpError) become their
    // status and the contract's body; anything else is 500 "Something went wrong" with details only in the log.
    static Response ErrorAnswer(std::exception_ptr error) {
        try {
            std::rethrow_exception(std::move(error));
        } catch (const std::exception& e) {
            if (auto mapped = ToHttpError(e)) {
                if (mapped->status() >= 500) {
                    log::Warn("request failed: dependency unavailable", {{"error", e.what()}});
                }
                return ErrorResponse(*mapped);
            }
            log::Error("unhandled exception in handler", {{"error", e.what()}});
        } catch (...) {
            log::Error("unhandled exception in handler", {{"error", "not a std::exception"}});
        }
        return ErrorResponse(HttpError(500, "Something went wrong"));
    }

    // What stands behind an async route's Reply: the first answer finishes the call. It keeps
    // the server's Impl alive: an answer that comes after the server stopped (past its shutdown
    // grace) is dropped, and the request's connection still has its io_context to close on.
    class AsyncAnswer final : public Reply::Target {
    public:
        AsyncAnswer(std::shared_ptr<Impl> impl, std::shared_ptr<Call> call)
            : impl_(std::move(impl)), call_(std::move(call)) {}
        ~AsyncAnswer() override {
            if (!answered_.exchange(true)) {
                try {
                    log::ScopedContext context(call_->request.request_id(),
                                               call_->request.trace_id());
                    log::Error("a handler dropped its reply without answering");
                    Send(ErrorResponse(HttpError(500, "Something went wrong")));
                } catch (...) {
                }
            }
        }
        void Answer(Response response) override {
            if (First()) {
                Send(std::move(response));
            }
        }
        void Fail(std::exception_ptr error) override {
            if (First()) {
                log::ScopedContext context(call_->request.request_id(), call_->request.trace_id());
                Send(ErrorAnswer(std::move(error)));
            }
        }

    private:
        bool First() {
            if (!answered_.exchange(true)) {
                return true;
            }
            log::ScopedContext context(call_->request.request_id(), call_->request.trace_id());
            log::Warn("a request answered twice: the second answer is dropped");
            return false;
        }
        void Send(Response response) {
            std::shared_lock gate(impl_->answer_gate_);
            if (impl_->answers_closed_) {
                log::ScopedContext context(call_->request.request_id(), call_->request.trace_id());
                log::Warn("an answer came after the server stopped: dropped");
                return;
            }
            impl_->Finish(*call_, std::move(response));
        }
        // Declared first: the call (its connection) goes before the Impl that holds its
        // io_context.
        std::shared_ptr<Impl> impl_;
        std::shared_ptr<Call> call_;
        std::atomic<bool> answered_{false};
    };

    void Run(const std::shared_ptr<Call>& call) {
        log::ScopedContext context(call->request.request_id(), call->request.trace_id());
        if (call->route->async_handler) {
            auto answer = std::make_shared<AsyncAnswer>(shared_from_this(), call);
            try {
                call->route->async_handler(call->request, Reply(answer));
            } catch (...) {
                answer->Fail(std::current_exception());
            }
            return;
        }
        Response response;
        try {
            response = call->route->handler(call->request);
        } catch (...) {
            response = ErrorAnswer(std::current_exception());
        }
        Finish(*call, std::move(response));
    }

    // A request's two metric children, looked up once per (route, method, status) and thread:
    // Family::With builds its labels and takes the family's lock, which cost every request
    // allocations and contention (issue 20). The threads that call Finish are this server's own
    // (I/O and workers), so a thread's cache dies with them, and those that answer an async
    // route's Reply (a database's writer thread); the server id keeps two servers of one process
    // (tests) apart, so an entry of a server that is gone is never used again.
    struct RequestMetrics {
        metrics::Counter* requests = nullptr;
        metrics::Histogram* latency = nullptr;
    };
    RequestMetrics& MetricsFor(const Route* route, Method method, int status) {
        struct Key {
            std::uint64_t server;
            const Route* route;
            Method method;
            int status;
            bool operator==(const Key&) const = default;
        };
        struct KeyHash {
            std::size_t operator()(const Key& k) const noexcept {
                std::size_t h = std::hash<const void*>{}(k.route);
                h ^= std::hash<std::uint64_t>{}(k.server) + 0x9e3779b97f4a7c15ULL + (h << 6);
                return h ^ (static_cast<std::size_t>(k.status) << 8) ^
                       static_cast<std::size_t>(k.method);
            }
        };
        thread_local std::unordered_map<Key, RequestMetrics, KeyHash> cache;
        auto [it, inserted] = cache.try_emplace(Key{id_, route, method, status});
        if (inserted) {
            const std::string pattern = route ? route->pattern : "unmatched";
            const std::string name(MethodName(method));
            it->second.requests = &requests_.With(
                {{"method", name}, {"route", pattern}, {"status", std::to_string(status)}});
            it->second.latency = &latency_.With({{"method", name}, {"route", pattern}});
        }
        return it->second;
    }

    void Finish(Call& call, Response response) {
        auto elapsed = std::chrono::duration<double>(Clock::now() - call.started).count();
        auto& m = MetricsFor(call.route, call.request.method(), response.status);
        m.requests->Inc();
        m.latency->Observe(elapsed);
        if (log::Enabled(log::Level::kInfo)) {
            const std::string route = call.route ? call.route->pattern : "unmatched";
            const auto method = std::string(MethodName(call.request.method()));
            log::ScopedContext context(call.request.request_id(), call.request.trace_id());
            log::Info("request",
                      {{"method", method},
                       {"route", route},
                       {"path", call.request.path()},
                       {"status", response.status},
                       {"ms", elapsed * 1000.0}});
        }

        auto out = call.raw->create_response(restinio::http_status_line_t{
            restinio::http_status_code_t{static_cast<std::uint16_t>(response.status)},
            ReasonPhrase(response.status)});
        for (auto& [name, value] : response.headers) {
            out.append_header(std::move(name), std::move(value));
        }
        out.append_header("X-Request-Id", call.request.request_id());
        if (draining_.load()) {
            out.connection_close();
        }
        if (!response.body.empty() || response.status != 204) {
            out.set_body(std::move(response.body));
        }
        out.done([token = std::move(call.token)](const auto&) {});
        call.raw.reset();
    }

    static inline std::atomic<std::uint64_t> next_id_{0};
    const std::uint64_t id_ = ++next_id_;
    ServerOptions options_;
    Router router_;
    Router builtin_;
    metrics::Registry& registry_;
    metrics::Family<metrics::Counter>& requests_;
    metrics::Family<metrics::Histogram>& latency_;
    metrics::Gauge& in_flight_gauge_;
    std::vector<std::pair<std::string, std::function<bool()>>> checks_;

    // Declared before the io_context so they outlive anything it still holds on destruction.
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t in_flight_ = 0;
    std::atomic<bool> draining_{false};
    std::atomic<bool> stopped_{false};
    bool closed_ = false;  // under mu_: Stop is past its grace, nothing in flight is counted
    // Async answers write under a shared lock; Stop closes them under the unique one.
    std::shared_mutex answer_gate_;
    bool answers_closed_ = false;
    bool started_ = false;
    std::uint16_t port_ = 0;

    // One per I/O thread: its io_context, the thread that runs it, and a listening socket on
    // the shared port with the connections it accepted.
    struct Lane {
        restinio::asio_ns::io_context io{1};
        std::optional<
            restinio::asio_ns::executor_work_guard<restinio::asio_ns::io_context::executor_type>>
            work_guard;
        std::unique_ptr<RestServer> server;
        std::unique_ptr<RestServer> unix_server;  // ServerOptions::unix_socket, if set
        std::thread thread;
    };
    std::vector<std::unique_ptr<Lane>> lanes_;
    bool unix_socket_bound_ = false;  // the socket file is ours to remove
    std::unique_ptr<WorkerPool> workers_;
};

Server::Server(ServerOptions options, Router router, metrics::Registry& metrics)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(router), metrics)) {}

// Stops here, not when the Impl goes: a reply not answered yet may hold it a while longer.
Server::~Server() {
    impl_->Stop();
}

void Server::AddReadinessCheck(std::string name, std::function<bool()> check) {
    impl_->AddReadinessCheck(std::move(name), std::move(check));
}

void Server::Start() {
    impl_->Start();
}

std::uint16_t Server::port() const {
    return impl_->port();
}

void Server::Stop() {
    impl_->Stop();
}

void Server::RunUntilSignal() {
    BlockTerminationSignals();
    Start();
    int sig = WaitForTerminationSignal();
    log::Info("termination signal received, draining", {{"signal", sig}});
    Stop();
}

void BlockTerminationSignals() {
    // A peer that went away must give EPIPE on write, never kill the process (hiredis and
    // other C clients write with plain write(2)).
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool TerminationSignalPending() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

int WaitForTerminationSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

}  // namespace ticketing::http

#include "common/db/notifications.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <utility>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/db/database.hpp"
#include "common/db/sql.hpp"
#include "common/log/log.hpp"

namespace ticketing::db {
namespace {

using Clock = std::chrono::steady_clock;

enum class Wait { kReady, kStop, kTimeout };

// Waits until `fd` has `events` (fd < 0: only the stop or the deadline), the stop fd is
// readable, or the deadline (none when `deadline` is Clock::time_point::max()) passes.
Wait WaitFor(int fd, short events, int stop_fd, Clock::time_point deadline) {
    for (;;) {
        int timeout_ms = -1;
        if (deadline != Clock::time_point::max()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                return Wait::kTimeout;
            }
            timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
        }
        pollfd fds[2] = {{stop_fd, POLLIN, 0}, {fd, events, 0}};
        const int n = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 || (fds[0].revents & POLLIN) != 0) {
            return Wait::kStop;
        }
        if (fd >= 0 && fds[1].revents != 0) {
            return Wait::kReady;  // also an error or a hang-up: the caller's libpq call sees it
        }
    }
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

// The time libpq may take to connect: Database::Open puts connect_timeout into every
// connection string, this is the bound for one without.
constexpr auto kConnectTimeout = std::chrono::seconds(10);

}  // namespace

void Notify(soci::session& session, const std::string& channel) {
    session << "SELECT pg_notify(:channel, '')", soci::use(channel);
}

NotificationListener::NotificationListener(const Database& db,
                                           std::string channel,
                                           std::function<void()> on_notify)
    : channel_(std::move(channel)), on_notify_(std::move(on_notify)) {
    if (db.kind() != DatabaseKind::kPostgres) {
        return;
    }
    conninfo_ = db.spec_.connect_string;
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
        log::Warn("no listener for database notifications (eventfd failed)",
                  {{"channel", channel_}});
        return;
    }
    thread_ = std::thread([this] { Loop(); });
}

NotificationListener::~NotificationListener() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        (void)!write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    if (stop_fd_ >= 0) {
        close(stop_fd_);
    }
}

void NotificationListener::Loop() {
    constexpr auto kMinBackoff = std::chrono::milliseconds(100);
    constexpr auto kMaxBackoff = std::chrono::milliseconds(5'000);
    auto backoff = std::chrono::milliseconds(kMinBackoff);
    bool failing = false;
    for (;;) {
        // Connect without blocking, so that the destructor never waits for a connect timeout.
        PGconn* conn = PQconnectStart(conninfo_.c_str());
        bool stop = false;
        bool ok = conn != nullptr && PQstatus(conn) != CONNECTION_BAD;
        if (ok) {
            PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
            const auto deadline = Clock::now() + kConnectTimeout;
            PostgresPollingStatusType st = PGRES_POLLING_WRITING;
            while (ok && st != PGRES_POLLING_OK) {
                const short events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
                const Wait w = WaitFor(PQsocket(conn), events, stop_fd_, deadline);
                if (w == Wait::kStop) {
                    stop = true;
                    ok = false;
                } else if (w == Wait::kTimeout) {
                    ok = false;
                } else {
                    st = PQconnectPoll(conn);
                    ok = st != PGRES_POLLING_FAILED;
                }
            }
        }
        if (ok) {
            const std::string listen = "LISTEN " + channel_;
            PGresult* r = PQexec(conn, listen.c_str());
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
        }
        if (ok) {
            if (failing) {
                log::Info("listening for database notifications again", {{"channel", channel_}});
                failing = false;
            }
            backoff = kMinBackoff;
            listening_.store(true);
            on_notify_();  // whatever was sent while this was not listening
            for (;;) {
                const Wait w =
                    WaitFor(PQsocket(conn), POLLIN, stop_fd_, Clock::time_point::max());
                if (w == Wait::kStop) {
                    stop = true;
                    break;
                }
                if (PQconsumeInput(conn) == 0) {
                    break;  // the connection is gone: open another
                }
                bool any = false;
                while (PGnotify* n = PQnotifies(conn)) {
                    PQfreemem(n);
                    any = true;
                }
                if (any) {
                    on_notify_();
                }
            }
            listening_.store(false);
        }
        if (!stop && !failing) {
            // libpq's message names the server and the cause, never the password.
            log::Warn("cannot listen for database notifications, retrying with backoff",
                      {{"channel", channel_},
                       {"error", conn != nullptr ? PQerrorMessage(conn) : "out of memory"}});
            failing = true;
        }
        if (conn != nullptr) {
            PQfinish(conn);
        }
        if (stop || WaitFor(-1, 0, stop_fd_, Clock::now() + backoff) == Wait::kStop) {
            return;
        }
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
    }
}

}  // namespace ticketing::db

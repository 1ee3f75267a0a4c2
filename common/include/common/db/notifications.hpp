// PostgreSQL LISTEN/NOTIFY between the replicas of one service (common/src/db/notifications.cpp).
// The outbox relay uses it so that a row committed by a replica that does not hold the outbox
// wakes the replica that does at once, instead of at its next idle look (issue 20).
// Thread-safety: Notify may be called from any thread; a NotificationListener calls its callback
// on a thread of its own.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace soci {
class session;
}

namespace ticketing::db {

class Database;

// Sends a notification on `channel` from `session` (in autocommit it goes at once; inside a
// transaction, at its commit). The channel is bound as a parameter.
void Notify(soci::session& session, const std::string& channel);

// LISTENs on `channel` on a connection of its own (outside the pool), on a thread of its own,
// and calls on_notify after every batch of notifications, and also each time it starts
// listening (again): what was sent while it was not listening is not delivered later. A lost
// connection is opened again with backoff (100 ms to 5 s), logged once when it fails and once
// when it listens again. Does nothing for a SQLite database. `channel` is a code constant of
// letters, digits and underscores (it is an identifier in LISTEN, which takes no parameter).
class NotificationListener final {
public:
    NotificationListener(const Database& db, std::string channel, std::function<void()> on_notify);
    ~NotificationListener();  // stops at once (even in the middle of a connect) and joins
    NotificationListener(const NotificationListener&) = delete;
    NotificationListener& operator=(const NotificationListener&) = delete;

    // True while LISTEN is in effect (for tests).
    bool listening() const { return listening_.load(); }

private:
    void Loop();

    std::string conninfo_;
    std::string channel_;
    std::function<void()> on_notify_;
    int stop_fd_ = -1;  // an eventfd: readable once the destructor wants the thread to end
    std::atomic<bool> listening_{false};
    std::thread thread_;
};

}  // namespace ticketing::db

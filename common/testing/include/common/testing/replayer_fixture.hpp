// What the tests of a service's EventReplayer share: events as the stream would store them
// (Stored), and a fixture with the replayer and a SQLite database in a temporary directory, with
// the service's migrations applied; Write() puts what the replayer rebuilt so far into the
// database as the replay's last transaction does (and may run again after more events).
// Thread-safety: one test thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/bus/outbox.hpp"
#include "common/bus/stream_log.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/events/events.hpp"
#include "common/service/replay.hpp"
#include "common/testing/process.hpp"

namespace ticketing::test {

template <events::EventType E>
bus::StoredEvent Stored(const E& e,
                        std::string occurred_at = "2026-11-22T10:00:00.000Z",
                        std::string traceparent = "") {
    return {1,
            std::string(E::kSubject.name),
            events::Encode(e),
            "id",
            std::move(occurred_at),
            std::move(traceparent)};
}

template <class Replayer, const std::vector<db::Migration>& (*kMigrations)()>
class ReplayerFixture : public ::testing::Test {
protected:
    using Outcome = service::EventReplayer::Outcome;

    void SetUp() override {
        db_ = db::Database::Open("sqlite://" + (dir_.Path() / "replay.db").string());
        db::RunMigrations(*db_, bus::WithBusMigrations(false, kMigrations()));
    }
    Outcome Apply(const bus::StoredEvent& e) { return replayer_.Apply(e); }
    void Write() {
        db_->Transaction([&](soci::session& tx) { service::ReplaceTables(tx, replayer_); });
    }

    TempDir dir_;
    std::unique_ptr<db::Database> db_;
    Replayer replayer_;
};

}  // namespace ticketing::test

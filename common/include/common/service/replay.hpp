// Replay (DESIGN.md section 8): `ticketing-<svc> replay` rebuilds a service's database from the
// TICKETING stream alone. The service says which tables it rebuilds and how each event changes
// them (an EventReplayer); RunReplay does the rest: refuses while a replica of the service is
// listening (its durables have a bound subscriber) or while its outbox still holds unpublished
// events, unless forced; reads the stream from sequence 1 through a temporary consumer (never
// the live durables) and folds every event into the replayer's state, printing progress on
// stderr; then, in one transaction, empties the tables, writes the rebuilt records and records
// the run in `replay_runs` (so a replay that fails halfway leaves the database as it was);
// prints a summary on stdout.
// Afterwards the live durables carry on where they were; whatever they deliver again is a
// duplicate by version.
// Thread-safety: RunReplay runs on the calling thread; an EventReplayer is used from it only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/bus/stream_log.hpp"
#include "common/config/env.hpp"
#include "common/db/migrations.hpp"

namespace soci {
class session;
}

namespace ticketing::service {

class EventReplayer {
public:
    enum class Outcome {
        kApplied,  // the event changed the rebuilt state
        kSkipped,  // not an event of this service's state, or already reflected
    };

    virtual ~EventReplayer() = default;
    // The tables the replay empties (in this order) and rebuilds.
    virtual std::vector<std::string> Tables() const = 0;
    // Folds one event, in stream order, into the state being rebuilt (in memory: the log is
    // read once, and each record is written once). An undecodable payload throws
    // events::DecodeError: it is counted and skipped (the live consumers dead-lettered it).
    virtual Outcome Apply(const bus::StoredEvent& event) = 0;
    // Writes the rebuilt state into the emptied tables, in the caller's transaction.
    virtual void Write(soci::session& tx) = 0;
};

// The version rule, as replay applies it to records held in memory (a map from id to a record
// with a `version`): `change(record)` runs and the record takes `version` only when it holds
// version - 1; otherwise (unknown record, duplicate, gap) nothing changes.
template <class Records, class Change>
EventReplayer::Outcome ApplyNextVersion(Records& records,
                                        const std::string& id,
                                        std::int64_t version,
                                        Change&& change) {
    auto it = records.find(id);
    if (it == records.end() || it->second.version != version - 1) {
        return EventReplayer::Outcome::kSkipped;
    }
    change(it->second);
    it->second.version = version;
    return EventReplayer::Outcome::kApplied;
}

struct ReplayOptions {
    bool force = false;        // run even while replicas listen or the outbox is not empty
    std::size_t batch = 2000;  // events per fetch and per transaction
};

struct ReplaySummary {
    std::uint64_t read = 0;
    std::uint64_t applied = 0;
    std::uint64_t skipped = 0;
    std::uint64_t undecodable = 0;
    std::uint64_t last_sequence = 0;
    double seconds = 0;
};

// Empties the replayer's tables and writes what it rebuilt, in the caller's transaction: the
// last step of RunReplay (tests call it to look at a replayer's result in a database).
void ReplaceTables(soci::session& tx, EventReplayer& replayer);

// Parses `replay [--force]` arguments (after the command word); false on anything else.
bool ParseReplayArgs(const std::vector<std::string>& args, ReplayOptions& options);

// The whole replay for one service. `queue_group` is the service's listeners' group
// ("orders-service"). Returns the process's exit status: 0 done, 1 refused or failed (the reason
// printed on stderr).
int RunReplay(const config::CommonConfig& cfg,
              const std::vector<db::Migration>& own_migrations,
              const std::string& queue_group,
              EventReplayer& replayer,
              const ReplayOptions& options,
              std::ostream& out,
              std::ostream& progress);

}  // namespace ticketing::service

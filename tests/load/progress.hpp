// Progress: what the load tool shows on stderr while it runs, one phase at a time ("sign-up",
// "chains", "verify", ...): items done out of the phase's total, requests answered so far and
// their rate. On a terminal it is a bar redrawn a few times a second; otherwise (a log, ctest)
// one line when each phase ends. Disabled, it prints nothing.
// Thread-safety: Tick is safe from any thread (an atomic); Begin/End belong to the thread that
// runs the scenario.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stats.hpp"

namespace ticketing::load {

// How long a phase took and how much it did, for the report.
struct PhaseSummary {
    std::string name;
    double seconds = 0;
    std::int64_t items = 0;
    std::int64_t requests = 0;
};

class Progress final {
public:
    enum class Mode { kOff, kLines, kBar };

    Progress(Mode mode, const Recorder& recorder);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Starts a phase of `total` items (0: unknown, e.g. a run bounded by a duration).
    void Begin(const std::string& phase, std::int64_t total);
    void Tick(std::int64_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }
    void End();

    const std::vector<PhaseSummary>& Phases() const { return phases_; }

    // The bar on a terminal, lines otherwise.
    static Mode AutoMode();

private:
    void Draw(bool final_line);
    void Render();

    const Mode mode_;
    const Recorder& recorder_;
    std::atomic<std::int64_t> done_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string phase_;       // guarded by mutex_
    std::int64_t total_ = 0;  // guarded by mutex_
    bool active_ = false;     // guarded by mutex_
    bool stopping_ = false;   // guarded by mutex_
    std::chrono::steady_clock::time_point started_;
    std::int64_t requests_at_start_ = 0;
    std::vector<PhaseSummary> phases_;
    std::thread renderer_;  // last: it uses everything above
};

}  // namespace ticketing::load

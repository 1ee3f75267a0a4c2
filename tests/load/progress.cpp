#include "progress.hpp"

#include <cstdio>

#include <unistd.h>

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;

constexpr int kBarWidth = 30;
constexpr auto kRedrawEvery = 200ms;

}  // namespace

Progress::Progress(Mode mode, const Recorder& recorder) : mode_(mode), recorder_(recorder) {
    if (mode_ == Mode::kBar) {
        renderer_ = std::thread([this] { Render(); });
    }
}

Progress::~Progress() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (renderer_.joinable()) {
        renderer_.join();
    }
}

Progress::Mode Progress::AutoMode() {
    return ::isatty(STDERR_FILENO) != 0 ? Mode::kBar : Mode::kLines;
}

void Progress::Begin(const std::string& phase, std::int64_t total) {
    std::lock_guard lock(mutex_);
    phase_ = phase;
    total_ = total;
    active_ = true;
    done_.store(0);
    started_ = std::chrono::steady_clock::now();
    requests_at_start_ = recorder_.Requests();
}

void Progress::End() {
    std::lock_guard lock(mutex_);
    PhaseSummary p;
    p.name = phase_;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    p.items = done_.load();
    p.requests = recorder_.Requests() - requests_at_start_;
    phases_.push_back(p);
    if (mode_ != Mode::kOff) {
        Draw(true);
    }
    active_ = false;
}

// Called with mutex_ held.
void Progress::Draw(bool final_line) {
    const std::int64_t done = done_.load();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const std::int64_t requests = recorder_.Requests() - requests_at_start_;
    const double rate = seconds > 0 ? static_cast<double>(requests) / seconds : 0;
    std::string bar;
    if (total_ > 0) {
        auto filled = static_cast<int>(kBarWidth * std::min<std::int64_t>(done, total_) / total_);
        bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
              std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] " +
              std::to_string(done) + "/" + std::to_string(total_);
    } else {
        bar = std::to_string(done) + " done";
    }
    if (mode_ == Mode::kBar) {
        std::fprintf(stderr,
                     "\r\033[K%-10s %s  %lld requests  %.0f req/s  %.1f s%s",
                     phase_.c_str(),
                     bar.c_str(),
                     static_cast<long long>(requests),
                     rate,
                     seconds,
                     final_line ? "\n" : "");
    } else if (final_line) {
        std::fprintf(stderr,
                     "%-10s %lld done in %.1f s, %lld requests (%.0f req/s)\n",
                     phase_.c_str(),
                     static_cast<long long>(done),
                     seconds,
                     static_cast<long long>(requests),
                     rate);
    }
    std::fflush(stderr);
}

void Progress::Render() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, kRedrawEvery, [this] { return stopping_; });
        if (active_ && !stopping_) {
            Draw(false);
        }
    }
}

}  // namespace ticketing::load

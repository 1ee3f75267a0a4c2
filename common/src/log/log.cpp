#include "common/log/log.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <thread>

#include <unistd.h>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "common/util/clock.hpp"
#include "common/util/json_text.hpp"

namespace ticketing::log {
namespace {

// Lines on their way to stderr. In a service (BufferOutput), a request's log line must not cost a
// write(2) and a wake-up of whatever reads the pipe (supervisord) each: lines are appended to a
// buffer that a background thread writes out every 20 ms, or at once when it holds 64 KB or a
// warning or error arrives. exit() flushes what is left (atexit); a kill -9 can lose the last
// 20 ms of lines. Elsewhere (tools, tests) each line is written at once and no thread starts.
class StderrWriter {
public:
    static StderrWriter& Instance() {
        // Never destroyed: threads may still log while statics are torn down.
        static auto* writer = new StderrWriter();
        return *writer;
    }

    // From now on lines go through the buffer and the background thread. Idempotent.
    void StartBuffering() {
        std::lock_guard lock(mu_);
        if (buffered_) {
            return;
        }
        buffered_ = true;
        std::thread([this] { Loop(); }).detach();
        std::atexit([] { Instance().Flush(); });
    }

    void Append(std::string_view line, bool urgent) {
        bool wake = false;
        {
            std::lock_guard lock(mu_);
            if (!buffered_) {
                // Unbuffered (tools, tests): written at once, on the caller's thread.
                std::lock_guard write_lock(write_mu_);
                std::string out(line);
                out.push_back('\n');
                WriteAll(out);
                return;
            }
        }
        {
            std::lock_guard lock(mu_);
            buffer_.append(line);
            buffer_.push_back('\n');
            wake = urgent || buffer_.size() >= kFlushBytes;
        }
        if (wake) {
            cv_.notify_one();
        }
    }

    void Flush() {
        std::lock_guard write_lock(write_mu_);
        std::string out;
        {
            std::lock_guard lock(mu_);
            out.swap(buffer_);
        }
        WriteAll(out);
    }

private:
    static constexpr std::size_t kFlushBytes = 64 * 1024;

    StderrWriter() = default;

    void Loop() {
        std::string out;
        for (;;) {
            {
                std::unique_lock lock(mu_);
                cv_.wait_for(lock, std::chrono::milliseconds(20), [this] {
                    return buffer_.size() >= kFlushBytes;
                });
            }
            Flush();
        }
    }

    static void WriteAll(std::string_view out) {
        while (!out.empty()) {
            const auto n = ::write(2, out.data(), out.size());
            if (n <= 0) {
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                return;  // stderr is gone: nothing else to tell
            }
            out.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    std::mutex mu_;        // buffer_
    std::mutex write_mu_;  // one writer at a time, so lines keep their order
    std::condition_variable cv_;
    std::string buffer_;
    bool buffered_ = false;  // mu_
};

struct State {
    std::mutex mu;
    std::shared_ptr<spdlog::logger> logger;  // tests' sink (InitForTest); else StderrWriter
    std::string service = "ticketing";
    std::atomic<int> level{static_cast<int>(Level::kInfo)};
};

}  // namespace

void BufferOutput() {
    StderrWriter::Instance().StartBuffering();
}

namespace {

State& GetState() {
    static State state;
    return state;
}

thread_local std::string t_request_id;
thread_local std::string t_trace_id;

std::string_view LevelName(Level level) {
    switch (level) {
        case Level::kTrace:
            return "trace";
        case Level::kDebug:
            return "debug";
        case Level::kInfo:
            return "info";
        case Level::kWarn:
            return "warn";
        case Level::kError:
            return "error";
    }
    return "info";
}

void Install(std::string service, Level level, std::shared_ptr<spdlog::sinks::sink> sink) {
    auto& s = GetState();
    auto logger = std::make_shared<spdlog::logger>("ticketing", std::move(sink));
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);
    std::lock_guard lock(s.mu);
    s.logger = std::move(logger);
    s.service = std::move(service);
    s.level.store(static_cast<int>(level));
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
    for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
        if (LevelName(l) == text) {
            return l;
        }
    }
    if (text == "warning") {
        return Level::kWarn;
    }
    return std::nullopt;
}

void Init(std::string service, Level level) {
    auto& s = GetState();
    std::lock_guard lock(s.mu);
    s.logger.reset();
    s.service = std::move(service);
    s.level.store(static_cast<int>(level));
}

void InitForTest(std::string service, Level level, std::ostream& out) {
    Install(std::move(service), level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
}

bool Enabled(Level level) {
    return static_cast<int>(level) >= GetState().level.load(std::memory_order_relaxed);
}

namespace {

void AppendValue(std::string& out, const FieldValue& value) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                util::AppendJsonString(out, v);
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "true" : "false";
            } else {
                util::AppendJsonNumber(out, v);
            }
        },
        value);
}

// The line's members in order: the standard ones, then the fields; a field named like an earlier
// member replaces its value (as assigning into a JSON object did).
std::string FormatLine(std::string_view time,
                       std::string_view level,
                       std::string_view service,
                       std::string_view message,
                       std::initializer_list<Field> fields) {
    std::vector<std::pair<std::string_view, FieldValue>> members;
    members.reserve(6 + fields.size());
    members.emplace_back("time", time);
    members.emplace_back("level", level);
    members.emplace_back("service", service);
    members.emplace_back("message", message);
    if (!t_request_id.empty()) {
        members.emplace_back("request_id", std::string_view(t_request_id));
    }
    if (!t_trace_id.empty()) {
        members.emplace_back("trace_id", std::string_view(t_trace_id));
    }
    for (const auto& f : fields) {
        auto same = std::find_if(members.begin(), members.end(),
                                 [&](const auto& m) { return m.first == f.key; });
        if (same != members.end()) {
            same->second = f.value;
        } else {
            members.emplace_back(f.key, f.value);
        }
    }
    std::string out;
    out.reserve(256);
    out += '{';
    for (const auto& [key, value] : members) {
        if (out.size() > 1) {
            out += ',';
        }
        util::AppendJsonString(out, key);
        out += ':';
        AppendValue(out, value);
    }
    out += '}';
    return out;
}

}  // namespace

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
    if (!Enabled(level)) {
        return;
    }
    std::shared_ptr<spdlog::logger> logger;
    std::string service;
    {
        auto& s = GetState();
        std::lock_guard lock(s.mu);
        service = s.service;
        logger = s.logger;
    }
    const std::string time = util::FormatIso8601(std::chrono::system_clock::now());
    const std::string text = FormatLine(time, LevelName(level), service, message, fields);
    if (logger) {
        logger->info(text);
    } else {
        StderrWriter::Instance().Append(text, level >= Level::kWarn);
    }
}

ScopedContext::ScopedContext(std::string request_id, std::string trace_id)
    : previous_request_id_(std::exchange(t_request_id, std::move(request_id))),
      previous_trace_id_(std::exchange(t_trace_id, std::move(trace_id))) {}

ScopedContext::~ScopedContext() {
    t_request_id = std::move(previous_request_id_);
    t_trace_id = std::move(previous_trace_id_);
}

const std::string& CurrentRequestId() {
    return t_request_id;
}
const std::string& CurrentTraceId() {
    return t_trace_id;
}

}  // namespace ticketing::log

#include "common/log/log.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/util/clock.hpp"

namespace ticketing::log {
namespace {

struct State {
    std::mutex mu;
    std::shared_ptr<spdlog::logger> logger;
    std::string service = "ticketing";
    std::atomic<int> level{static_cast<int>(Level::kInfo)};
};

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

std::shared_ptr<spdlog::logger> Logger() {
    auto& s = GetState();
    std::lock_guard lock(s.mu);
    if (!s.logger) {
        auto logger = std::make_shared<spdlog::logger>(
            "ticketing", std::make_shared<spdlog::sinks::stderr_sink_mt>());
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::trace);
        s.logger = std::move(logger);
    }
    return s.logger;
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
    Install(std::move(service), level, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void InitForTest(std::string service, Level level, std::ostream& out) {
    Install(std::move(service), level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
}

bool Enabled(Level level) {
    return static_cast<int>(level) >= GetState().level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
    if (!Enabled(level)) {
        return;
    }
    auto logger = Logger();
    nlohmann::json line = nlohmann::json::object();
    line["time"] = util::FormatIso8601(std::chrono::system_clock::now());
    line["level"] = LevelName(level);
    {
        auto& s = GetState();
        std::lock_guard lock(s.mu);
        line["service"] = s.service;
    }
    line["message"] = message;
    if (!t_request_id.empty()) {
        line["request_id"] = t_request_id;
    }
    if (!t_trace_id.empty()) {
        line["trace_id"] = t_trace_id;
    }
    for (const auto& f : fields) {
        std::visit([&](const auto& v) { line[std::string(f.key)] = v; }, f.value);
    }
    // Replace invalid UTF-8 instead of throwing: a log line must never fail a request.
    logger->info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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

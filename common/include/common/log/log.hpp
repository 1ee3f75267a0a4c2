// JSON logging: one object per line on stderr with time, level, service, message, the
// request_id and trace_id of the request being handled on this thread (ScopedContext), and any
// extra fields. Used by every service; configured once in main (Init). Lines are buffered and
// written by a background thread every 20 ms (at once for warnings and errors, and at exit), so a
// request's line costs no system call of its own.
// Never pass tokens, cookies, passwords or card tokens as fields.
// Thread-safety: all functions are safe from any thread; ScopedContext is per thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ticketing::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

std::optional<Level> ParseLevel(std::string_view text);

using FieldValue = std::variant<std::string_view, std::int64_t, double, bool>;

struct Field {
    std::string_view key;
    FieldValue value;

    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
    Field(std::string_view k, double v) : key(k), value(v) {}
    template <class I>
    requires std::is_integral_v<I> Field(std::string_view k, I v)
        : key(k), value(static_cast<std::int64_t>(v)) {}
};

// Sets the service name and minimum level; lines go to stderr. Call once from main.
void Init(std::string service, Level level);
// Lines to stderr are written in batches by a background thread (every 20 ms, at once for a
// warning or an error) instead of one write(2) each: for a service's process (ServiceBuilder
// calls it). Without it no thread starts, as in tools and unit tests.
void BufferOutput();
// Same, but lines go to `out` (tests of the log format only).
void InitForTest(std::string service, Level level, std::ostream& out);

bool Enabled(Level level);
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) {
    Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
    Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) {
    Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
    Write(Level::kError, m, f);
}

// While alive, every line written on this thread carries these ids. Nests: the previous
// context comes back on destruction.
class ScopedContext {
public:
    ScopedContext(std::string request_id, std::string trace_id);
    ~ScopedContext();
    ScopedContext(const ScopedContext&) = delete;
    ScopedContext& operator=(const ScopedContext&) = delete;

private:
    std::string previous_request_id_;
    std::string previous_trace_id_;
};

// The ids of the current thread's context (empty when none).
const std::string& CurrentRequestId();
const std::string& CurrentTraceId();

}  // namespace ticketing::log

// JSON text appended straight to a string, for the hot paths that used to build an nlohmann
// object only to dump it (every request's log line, a ticket in an answer). What it writes is
// what nlohmann's dump (with invalid UTF-8 replaced) writes for the same value: printable ASCII
// as it is, anything else through nlohmann's own escaping; doubles as nlohmann lays them out
// ("100000.0", "0.05", "1e-05", "1.25e+20"), from their shortest round-trip digits: the same
// text as nlohmann's for every amount in cents (tests), while for a double of many significant
// digits the last few may differ (nlohmann's Grisu2 is not always shortest; either reads back as
// the same double); NaN and infinities as null.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ticketing::util {

void AppendJsonString(std::string& out, std::string_view value);
void AppendJsonNumber(std::string& out, double value);
void AppendJsonNumber(std::string& out, std::int64_t value);

// Appends one JSON object to `out`, its members in the order written: to give nlohmann's text,
// write them in byte order of their keys (nlohmann's objects keep them sorted). Object opens a
// nested object, End closes the innermost open one (the outermost last).
class JsonObjectWriter {
public:
    explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }

    JsonObjectWriter& String(std::string_view key, std::string_view value) {
        Key(key);
        AppendJsonString(out_, value);
        return *this;
    }
    JsonObjectWriter& Integer(std::string_view key, std::int64_t value) {
        Key(key);
        AppendJsonNumber(out_, value);
        return *this;
    }
    JsonObjectWriter& Number(std::string_view key, double value) {
        Key(key);
        AppendJsonNumber(out_, value);
        return *this;
    }
    JsonObjectWriter& Object(std::string_view key) {
        Key(key);
        out_ += '{';
        first_ = true;
        return *this;
    }
    JsonObjectWriter& End() {
        out_ += '}';
        first_ = false;
        return *this;
    }

private:
    void Key(std::string_view key) {
        out_ += first_ ? "\"" : ",\"";
        first_ = false;
        out_ += key;
        out_ += "\":";
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace ticketing::util

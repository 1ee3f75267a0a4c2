#include "common/service/dlq_command.hpp"

#include <iomanip>
#include <istream>
#include <map>
#include <optional>
#include <ostream>

#include "common/bus/connection.hpp"
#include "common/bus/dead_letters.hpp"
#include "common/log/log.hpp"
#include "common/service/commands.hpp"

namespace ticketing::service {
namespace {


constexpr const char* kUsage =
    "usage: dlq list [--consumer C] | summary | show <id> | redrive <id>|--all [--consumer C] |\n"
    "           purge <id>|--all [--consumer C] [--yes]\n";

struct Selection {
    std::optional<std::uint64_t> id;
    bool all = false;
    std::string consumer;
    bool yes = false;
};

// Parses what follows the verb; false on anything unknown.
bool Parse(const std::vector<std::string>& rest, Selection& s) {
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const std::string& a = rest[i];
        if (a == "--all") {
            s.all = true;
        } else if (a == "--yes" || a == "-y") {
            s.yes = true;
        } else if (a == "--consumer" && i + 1 < rest.size()) {
            s.consumer = rest[++i];
        } else if (!a.empty() && a.find_first_not_of("0123456789") == std::string::npos &&
                   !s.id && a.size() < 20) {
            s.id = std::stoull(a);
        } else {
            return false;
        }
    }
    return true;
}

// The dead letters a selection names: one by id, or all (of one consumer).
std::vector<bus::DeadLetter> Selected(bus::NatsConnection& c, const Selection& s) {
    std::vector<bus::DeadLetter> out;
    if (s.id) {
        if (auto d = bus::FindDeadLetter(c, *s.id)) {
            out.push_back(*d);
        }
        return out;
    }
    for (auto& d : bus::ListDeadLetters(c)) {
        if (s.consumer.empty() || d.consumer == s.consumer) {
            out.push_back(std::move(d));
        }
    }
    return out;
}

void Table(const std::vector<bus::DeadLetter>& letters, std::ostream& out) {
    out << std::left << std::setw(6) << "id" << "  " << std::setw(20) << "subject" << "  "
        << std::setw(38) << "consumer" << "  " << std::setw(24) << "time" << "  "
        << std::setw(32) << "trace id" << "  reason\n";
    for (const auto& d : letters) {
        out << std::left << std::setw(6) << d.id << "  " << std::setw(20) << d.subject << "  "
            << std::setw(38) << d.consumer << "  " << std::setw(24) << d.time << "  "
            << std::setw(32) << (d.trace_id.empty() ? "-" : d.trace_id) << "  " << d.reason
            << "\n";
    }
}

void Summary(const std::vector<bus::DeadLetter>& letters, std::ostream& out) {
    std::map<std::string, int> per_consumer;
    for (const auto& d : letters) {
        ++per_consumer[d.consumer.empty() ? "(unknown)" : d.consumer];
    }
    for (const auto& [consumer, n] : per_consumer) {
        out << "  " << std::left << std::setw(38) << consumer << "  " << n << "\n";
    }
    out << letters.size() << " dead letter(s)\n";
}

}  // namespace

int RunDeadLetterCommand(const config::CommonConfig& cfg,
                         const std::vector<std::string>& args,
                         std::istream& in,
                         std::ostream& out,
                         std::ostream& err) {
    if (args.empty()) {
        err << kUsage;
        return 2;
    }
    const std::string verb = args.front();
    Selection sel;
    if (!Parse({args.begin() + 1, args.end()}, sel)) {
        err << kUsage;
        return 2;
    }
    const bool one_or_all = sel.id.has_value() != sel.all;
    if (((verb == "list" || verb == "summary") && (sel.id || sel.all || sel.yes)) ||
        (verb == "show" && (!sel.id || sel.all || !sel.consumer.empty() || sel.yes)) ||
        ((verb == "redrive" || verb == "purge") && !one_or_all) ||
        (verb == "redrive" && sel.yes) ||
        (verb != "list" && verb != "summary" && verb != "show" && verb != "redrive" &&
         verb != "purge")) {
        err << kUsage;
        return 2;
    }
    log::Init(cfg.service, log::Level::kWarn);
    auto connection = ConnectTool(cfg, "dlq");
    if (!connection->IsConnected()) {
        err << "dlq: NATS is unreachable\n";
        return 1;
    }
    if (verb == "list" || verb == "summary") {
        auto letters = Selected(*connection, sel);
        if (verb == "list") {
            Table(letters, out);
        }
        Summary(letters, out);
        return 0;
    }
    auto letters = Selected(*connection, sel);
    if (letters.empty()) {
        err << "dlq: " << (sel.id ? "no dead letter " + std::to_string(*sel.id) : "no dead letters")
            << "\n";
        return sel.id ? 1 : 0;
    }
    if (verb == "show") {
        const auto& d = letters.front();
        out << "dead letter " << d.id << "\n";
        for (const auto& [k, v] : d.headers) {
            out << "  " << k << ": " << v << "\n";
        }
        out << "payload (" << d.payload.size() << " bytes):\n" << d.payload << "\n";
        return 0;
    }
    if (verb == "purge" && !sel.yes) {
        out << "purge " << letters.size() << " dead letter(s)? They cannot be redriven after. [y/N] "
            << std::flush;
        std::string answer;
        if (!std::getline(in, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
            out << "\nnothing purged\n";
            return 1;
        }
    }
    int done = 0;
    for (const auto& d : letters) {
        if (verb == "redrive") {
            bus::Redrive(*connection, d);
            out << "redriven " << d.id << " (" << d.subject << ") to " << d.consumer << "\n";
        } else {
            bus::Purge(*connection, d.id);
            out << "purged " << d.id << "\n";
        }
        ++done;
    }
    out << done << " dead letter(s) " << (verb == "redrive" ? "redriven" : "purged") << "\n";
    return 0;
}

}  // namespace ticketing::service

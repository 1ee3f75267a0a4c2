#include "common/db/migrations.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>

#include "common/db/sql.hpp"
#include "common/log/log.hpp"

namespace ticketing::db {
namespace {

// Any fixed 64-bit number, the same for every binary: "tmigrate" in ASCII.
constexpr long long kMigrationLockKey = 0x746d696772617465LL;

bool IsSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool IsIdentifierChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && IsSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && IsSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// At sql[i] == '$': the length of a dollar-quote tag ("$$" or "$tag$"), or 0 if none starts here.
std::size_t DollarTagLength(std::string_view sql, std::size_t i) {
    if (i > 0 && IsIdentifierChar(sql[i - 1])) {
        return 0;  // part of an identifier such as a$b
    }
    std::size_t j = i + 1;
    if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
        return 0;  // $1 is a positional parameter
    }
    while (j < sql.size() && IsIdentifierChar(sql[j]) && sql[j] != '$') {
        ++j;
    }
    if (j < sql.size() && sql[j] == '$') {
        return j - i + 1;
    }
    return 0;
}

std::int64_t NowEpochMs() {
    // Infrastructure, not logic: the time a migration ran is for operators only.
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string Describe(const Migration& m) {
    return std::to_string(m.version) + "_" + std::string(m.name);
}

// What the database says has been applied: version -> name.
std::map<int, std::string> AppliedMigrations(soci::session& session) {
    std::map<int, std::string> applied;
    long long version = 0;  // the into() type decides the conversion, the same on both backends
    std::string name;
    soci::statement select =
        (session.prepare << "SELECT version, name FROM schema_migrations ORDER BY version",
         soci::into(version),
         soci::into(name));
    select.execute();
    while (select.fetch()) {
        applied.emplace(static_cast<int>(version), name);
    }
    return applied;
}

// Throws when the recorded history does not fit the known migrations. Returns the first known
// migration not applied yet, if any.
const Migration* NextPending(const std::map<int, std::string>& applied,
                             const std::vector<Migration>& known) {
    std::map<int, const Migration*> by_version;
    for (const Migration& m : known) {
        by_version.emplace(m.version, &m);
    }
    for (const auto& [version, name] : applied) {
        const auto it = by_version.find(version);
        if (it == by_version.end()) {
            throw std::runtime_error("database has migration " + std::to_string(version) + "_" +
                                     name +
                                     " which this binary does not know: it was migrated by a "
                                     "newer version; refusing to start");
        }
        if (it->second->name != name) {
            throw std::runtime_error("migration " + std::to_string(version) + " is recorded as '" +
                                     name + "' but this binary calls it '" +
                                     std::string(it->second->name) + "'; refusing to start");
        }
    }
    const int highest_applied = applied.empty() ? 0 : applied.rbegin()->first;
    for (const Migration& m : known) {
        if (applied.count(m.version) != 0) {
            continue;
        }
        if (m.version < highest_applied) {
            throw std::runtime_error(
                "migration " + Describe(m) + " is not applied but the later migration " +
                std::to_string(highest_applied) + " is; refusing to apply out of order");
        }
        return &m;
    }
    return nullptr;
}

}  // namespace

std::vector<std::string> SplitSqlStatements(std::string_view sql) {
    std::vector<std::string> statements;
    std::size_t start = 0;
    bool has_content = false;  // anything but whitespace and comments since `start`
    auto finish = [&](std::size_t end) {
        if (has_content) {
            statements.emplace_back(Trim(sql.substr(start, end - start)));
        }
        start = end + 1;
        has_content = false;
    };

    std::size_t i = 0;
    while (i < sql.size()) {
        const char c = sql[i];
        const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
        if (c == '-' && next == '-') {
            const auto eol = sql.find('\n', i);
            i = eol == std::string_view::npos ? sql.size() : eol + 1;
        } else if (c == '/' && next == '*') {
            const auto close = sql.find("*/", i + 2);
            i = close == std::string_view::npos ? sql.size() : close + 2;
        } else if (c == '\'' || c == '"') {
            // A doubled quote inside is an escaped quote: scanning on from it reopens the
            // literal, which gives the same result.
            has_content = true;
            const auto close = sql.find(c, i + 1);
            i = close == std::string_view::npos ? sql.size() : close + 1;
        } else if (c == '$' && DollarTagLength(sql, i) > 0) {
            has_content = true;
            const std::size_t tag_length = DollarTagLength(sql, i);
            const std::string_view tag = sql.substr(i, tag_length);
            const auto close = sql.find(tag, i + tag_length);
            i = close == std::string_view::npos ? sql.size() : close + tag_length;
        } else if (c == ';') {
            finish(i);
            ++i;
        } else {
            if (!IsSpace(c)) {
                has_content = true;
            }
            ++i;
        }
    }
    finish(sql.size());
    return statements;
}

void RunMigrations(Database& db, const std::vector<Migration>& migrations) {
    std::vector<Migration> known = migrations;
    std::sort(known.begin(), known.end(), [](const Migration& a, const Migration& b) {
        return a.version < b.version;
    });
    for (std::size_t i = 0; i < known.size(); ++i) {
        if (known[i].version <= 0) {
            throw std::invalid_argument("migration " + Describe(known[i]) +
                                        ": versions start at 1");
        }
        if (i > 0 && known[i].version == known[i - 1].version) {
            throw std::invalid_argument("two migrations have version " +
                                        std::to_string(known[i].version));
        }
    }

    // One transaction per migration. Each takes the lock and re-reads the history, so replicas
    // starting together apply every migration exactly once, in order.
    for (;;) {
        const std::optional<std::string> applied_now =
            db.Transaction([&](soci::session& session) -> std::optional<std::string> {
                if (db.kind() == Database::Kind::kPostgres) {
                    // Held until commit or rollback. Also covers the CREATE TABLE below, which
                    // races on PostgreSQL's catalog even with IF NOT EXISTS.
                    int locked = 0;
                    session << "SELECT 1 FROM (SELECT pg_advisory_xact_lock(:key)) AS l",
                        soci::use(kMigrationLockKey), soci::into(locked);
                }
                session << "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, "
                           "name TEXT NOT NULL, "
                           "applied_at BIGINT NOT NULL)";
                const Migration* next = NextPending(AppliedMigrations(session), known);
                if (next == nullptr) {
                    return std::nullopt;
                }
                for (const std::string& statement : SplitSqlStatements(next->sql)) {
                    try {
                        session << statement;
                    } catch (const soci::soci_error& e) {
                        throw std::runtime_error("migration " + Describe(*next) +
                                                 " failed: " + e.what());
                    }
                }
                const int version = next->version;
                const std::string name(next->name);
                const long long applied_at = NowEpochMs();
                session << "INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (:version, :name, :applied_at)",
                    soci::use(version), soci::use(name), soci::use(applied_at);
                return Describe(*next);
            });
        if (!applied_now) {
            return;
        }
        log::Info("migration applied", {{"migration", *applied_now}});
    }
}

}  // namespace ticketing::db

#include "support.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace ticketing::load {
namespace {

// Tells this run's users from every earlier run's: seconds since the epoch and random bits.
const std::string& RunTag() {
    static const std::string tag = [] {
        std::random_device rd;
        char buffer[40];
        std::snprintf(buffer,
                      sizeof buffer,
                      "%lx%04x",
                      static_cast<unsigned long>(std::time(nullptr)),
                      static_cast<unsigned>(rd() & 0xffffu));
        return std::string(buffer);
    }();
    return tag;
}

}  // namespace

std::chrono::milliseconds ScenarioContext::Timeout() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
}

ErrorCounts ScenarioContext::Errors() const {
    ErrorCounts errors;
    for (const auto& row : recorder.Summaries()) {
        errors.server_errors += row.ServerErrors();
        errors.no_answer += row.NoAnswer();
    }
    return errors;
}

ScenarioReport ScenarioContext::Finish(Verdict verdict) const {
    ScenarioReport report;
    report.scenario = verdict.scenario;
    report.verdict = std::move(verdict);
    report.phases = progress.Phases();
    report.requests = recorder.Summaries();
    report.seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    return report;
}

TaskCounter::TaskCounter(std::int64_t total, std::optional<double> duration_s)
    : total_(total),
      end_(duration_s ? std::optional(SteadyClock::now() +
                                      std::chrono::duration_cast<SteadyClock::duration>(
                                          std::chrono::duration<double>(*duration_s)))
                      : std::nullopt) {}

std::optional<std::int64_t> TaskCounter::Next() {
    if (end_) {
        if (SteadyClock::now() >= *end_) {
            return std::nullopt;
        }
        return next_.fetch_add(1);
    }
    auto n = next_.fetch_add(1);
    if (n >= total_) {
        return std::nullopt;
    }
    return n;
}

void RunWorkers(int threads, const std::function<void(int)>& work) {
    std::mutex mutex;
    std::exception_ptr first_error;  // guarded by mutex
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(std::max(threads, 1)));
    for (int i = 0; i < std::max(threads, 1); ++i) {
        pool.emplace_back([&, i] {
            try {
                work(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!first_error) {
                    first_error = std::current_exception();
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    if (first_error) {
        std::rethrow_exception(first_error);
    }
}

bool PollUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds deadline,
               std::chrono::milliseconds interval) {
    const auto end = SteadyClock::now() + deadline;
    while (true) {
        if (condition()) {
            return true;
        }
        if (SteadyClock::now() + interval > end) {
            return false;
        }
        std::this_thread::sleep_for(interval);
    }
}

std::string UniqueEmail(std::string_view role, std::int64_t n) {
    return "load-" + RunTag() + "-" + std::string(role) + std::to_string(n) + "@example.com";
}

User SignUp(LoadClient& client, std::string_view role, std::int64_t n) {
    auto r = client.Post(
        kSignUp,
        "/api/users/signup",
        nlohmann::json{{"email", UniqueEmail(role, n)}, {"password", "load-password"}}.dump());
    User user;
    user.status = r.status;
    if (r.status == 201) {
        user.id = StringField(JsonOf(r), "id");
        user.session = SessionOf(r);
    }
    return user;
}

std::vector<User> SignUpBuyersAndSeller(ScenarioContext& ctx, int buyers, std::string_view tag) {
    std::vector<User> users(static_cast<std::size_t>(buyers) + 1);
    const std::string buyer_role = std::string(tag) + "-buyer";
    const std::string seller_role = std::string(tag) + "-seller";
    ctx.progress.Begin("sign-up", static_cast<std::int64_t>(users.size()));
    TaskCounter sign_ups(static_cast<std::int64_t>(users.size()), std::nullopt);
    RunWorkers(ctx.options.concurrency, [&](int) {
        LoadClient client(ctx.options.base_url, ctx.recorder);
        while (auto i = sign_ups.Next()) {
            users[static_cast<std::size_t>(*i)] =
                SignUp(client, *i == buyers ? seller_role : buyer_role, *i);
            ctx.progress.Tick();
        }
    });
    ctx.progress.End();
    return users;
}

HttpResult CreateTicket(LoadClient& client,
                        const User& seller,
                        const std::string& title,
                        double price) {
    return client.Post(kCreateTicket,
                       "/api/tickets",
                       nlohmann::json{{"title", title}, {"price", price}}.dump(),
                       seller.session);
}

HttpResult OrderWhenKnown(LoadClient& client,
                          const User& buyer,
                          const std::string& ticket_id,
                          std::chrono::milliseconds deadline) {
    const std::string body = nlohmann::json{{"ticketId", ticket_id}}.dump();
    HttpResult r;
    PollUntil(
        [&] {
            r = client.Post(kCreateOrder, "/api/orders", body, buyer.session);
            return r.status != 404;
        },
        deadline,
        std::chrono::milliseconds(20));
    return r;
}

HttpResult PayWhenKnown(LoadClient& client,
                        const User& buyer,
                        const std::string& order_id,
                        std::chrono::milliseconds deadline) {
    const std::string body = nlohmann::json{{"token", "tok_visa"}, {"orderId", order_id}}.dump();
    HttpResult r;
    PollUntil(
        [&] {
            r = client.Post(kPay, "/api/payments", body, buyer.session);
            return r.status != 404;
        },
        deadline,
        std::chrono::milliseconds(20));
    return r;
}

nlohmann::json JsonOf(const HttpResult& result) {
    auto j = nlohmann::json::parse(result.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

std::string StringField(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) {
        return "";
    }
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<double> NumberField(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) {
        return std::nullopt;
    }
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? std::optional(it->get<double>()) : std::nullopt;
}

std::optional<int> IntField(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) {
        return std::nullopt;
    }
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? std::optional(it->get<int>()) : std::nullopt;
}

std::optional<std::int64_t> ParseIsoMillis(std::string_view text) {
    // Exactly YYYY-MM-DDTHH:MM:SS.mmmZ, as the services write it.
    if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
        return std::nullopt;
    }
    auto number = [&](std::size_t from, std::size_t len) -> std::optional<int> {
        int value = 0;
        for (std::size_t i = from; i < from + len; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
                return std::nullopt;
            }
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    auto year = number(0, 4);
    auto month = number(5, 2);
    auto day = number(8, 2);
    auto hour = number(11, 2);
    auto minute = number(14, 2);
    auto second = number(17, 2);
    auto millis = number(20, 3);
    if (!year || !month || !day || !hour || !minute || !second || !millis || *month < 1 ||
        *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    std::int64_t seconds = ::timegm(&tm);
    return seconds * 1000 + *millis;
}

std::string IdJustBefore(std::string_view id) {
    if (id.size() != 24 || !std::all_of(id.begin(), id.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
        })) {
        return "";
    }
    unsigned long seconds = std::stoul(std::string(id.substr(0, 8)), nullptr, 16);
    if (seconds == 0) {
        return "";
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%08lx", seconds - 1);
    return std::string(buffer) + std::string(16, 'f');
}

}  // namespace ticketing::load

#include "chaos.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <signal.h>

#include "common/bus/bus.hpp"
#include "common/bus/connection.hpp"
#include "common/bus/publisher.hpp"
#include "common/events/events.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/fake_stripe_server.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"
#include "common/testing/raw_exchange.hpp"
#include "common/testing/stream_reader.hpp"
#include "common/util/clock.hpp"

#include "chaos_checks.hpp"
#include "load_client.hpp"
#include "support.hpp"

namespace ticketing::load {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

const std::vector<std::string> kServices = {"auth", "tickets", "orders", "expiration", "payments"};

// Each listening group and the subjects it consumes (DESIGN.md section 1).
const std::vector<std::pair<std::string, std::vector<std::string>>> kConsumers = {
    {"tickets-service", {"order:created", "order:cancelled", "order:completed"}},
    {"orders-service",
     {"ticket:created", "ticket:updated", "expiration:complete", "payment:created"}},
    {"expiration-service", {"order:created", "order:cancelled", "order:completed"}},
    {"payments-service", {"order:created", "order:cancelled", "order:completed"}},
};

double Seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// The ports and sizes scripts/run.sh saved for the stack.
class Stack {
public:
    explicit Stack(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::ifstream in(dir_ / "run" / "stack.env");
        if (!in) {
            throw std::runtime_error("no stack in " + dir_.string() +
                                     " (run/stack.env is missing: start it with scripts/run.sh)");
        }
        std::string line;
        while (std::getline(in, line)) {
            auto eq = line.find('=');
            if (eq != std::string::npos) {
                env_[line.substr(0, eq)] = line.substr(eq + 1);
            }
        }
    }

    int Int(const std::string& name) const { return std::stoi(env_.at(name)); }
    // As the `ops` user (scripts/run.sh keeps its password in <data>/secrets).
    std::string NatsUrl() const {
        return "nats://ops:" + Secret("nats-ops") + "@127.0.0.1:" + env_.at("NATS_PORT");
    }
    std::string Secret(const std::string& name) const {
        std::ifstream in(dir_ / "secrets" / name);
        std::string value;
        std::getline(in, value);
        return value;
    }
    // As scripts/run.sh recorded it (its service_port is the one place that computes it).
    int ServicePort(const std::string& service, int replica) const {
        return Int("SERVICE_PORT_" + service + "_" + std::to_string(replica));
    }

    // Runs supervisorctl with `args`; returns its output.
    std::string Ctl(const std::vector<std::string>& args) const {
        test::TempDir scratch("ticketing-chaos-");
        test::ChildProcess::Options o;
        o.argv = {"supervisorctl", "-c", (dir_ / "run" / "supervisord.conf").string()};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.log_file = scratch.Path() / "out";
        test::ChildProcess p(o);
        p.Wait(60s);
        return p.ReadLog();
    }
    int Pid(const std::string& program) const {
        try {
            return std::stoi(Ctl({"pid", program}));
        } catch (const std::exception&) {
            return 0;
        }
    }

private:
    std::filesystem::path dir_;
    std::map<std::string, std::string> env_;
};

// What the clients were told (2xx), and every answer that was an error of the server's.
struct TicketFact {
    std::string id;
    double acked_price = 0;
    std::vector<double> unsure_prices;  // updates after the last 2xx that got no 2xx
};
struct OrderFact {
    std::string id;
    std::string ticket_id;
    Headers buyer;
    bool paid = false;        // the payment got 201
    bool pay_unsure = false;  // a payment was tried without a 201
};
struct ServerError {
    Clock::time_point at;
    std::string type;
    long status = 0;  // 0: no answer
    bool contract_format = false;
};

class Facts {
public:
    void Ticket(TicketFact f) {
        std::lock_guard lock(mu_);
        tickets_.push_back(std::move(f));
    }
    void Order(OrderFact f) {
        std::lock_guard lock(mu_);
        orders_.push_back(std::move(f));
    }
    void Error(ServerError e) {
        std::lock_guard lock(mu_);
        errors_.push_back(std::move(e));
    }
    std::vector<TicketFact> Tickets() const {
        std::lock_guard lock(mu_);
        return tickets_;
    }
    std::vector<OrderFact> Orders() const {
        std::lock_guard lock(mu_);
        return orders_;
    }
    std::vector<ServerError> Errors() const {
        std::lock_guard lock(mu_);
        return errors_;
    }

private:
    mutable std::mutex mu_;
    std::vector<TicketFact> tickets_;
    std::vector<OrderFact> orders_;
    std::vector<ServerError> errors_;
};

// The workload: each worker has a seller and a buyer and loops: create a ticket at 5, update it
// to 10 and 15, order it, and pay for three orders in four (the fourth expires).
class Workload {
public:
    // Runs until `end` and until `faults_done` (every fault injected at least once, however slow
    // the injector is on a busy machine).
    Workload(const LoadOptions& load,
             Recorder& recorder,
             Facts& facts,
             Clock::time_point end,
             const std::atomic<bool>& faults_done,
             double flows_per_second)
        : load_(load),
          recorder_(recorder),
          facts_(facts),
          end_(end),
          faults_done_(faults_done),
          flows_per_second_(flows_per_second) {}

    void Run(int worker) {
        LoadClient client(load_.base_url, recorder_);
        std::optional<Headers> seller, buyer;
        // Each worker's share of the rate; a worker that fell behind starts at once, no burst.
        const auto interval = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(flows_per_second_ > 0
                                              ? load_.concurrency / flows_per_second_
                                              : 0.0));
        auto next = Clock::now();
        for (std::int64_t n = 0; Clock::now() < end_ || !faults_done_; ++n) {
            if (interval.count() > 0) {
                std::this_thread::sleep_until(next);  // the client's pacing
                next = std::max(next + interval, Clock::now());
            }
            if (!seller) {
                seller = SignUpAs(client, "chaos-seller", worker, n);
            }
            if (!buyer) {
                buyer = SignUpAs(client, "chaos-buyer", worker, n);
            }
            if (!seller || !buyer) {
                std::this_thread::sleep_for(200ms);  // client pacing while auth is down
                continue;
            }
            if (!Flow(client, *seller, *buyer, n)) {
                std::this_thread::sleep_for(200ms);  // client pacing while a dependency is down
            }
        }
    }

private:
    HttpResult Note(const char* type, HttpResult r) {
        if (r.status == 0 || r.status >= 500) {
            facts_.Error({Clock::now(), type, r.status, ContractError(r)});
        }
        return r;
    }

    std::optional<Headers> SignUpAs(LoadClient& client,
                                    const char* role,
                                    int worker,
                                    std::int64_t n) {
        auto r = Note(kSignUp,
                      client.Post(kSignUp,
                                  "/api/users/signup",
                                  json{{"email", UniqueEmail(role, worker * 1'000'000 + n)},
                                       {"password", "password123"}}
                                      .dump()));
        if (r.status != 201) {
            return std::nullopt;
        }
        return Headers{{"Cookie", test::CookiePair(r, "session")}};
    }

    // False when it could not even list a ticket.
    bool Flow(LoadClient& client, const Headers& seller, const Headers& buyer, std::int64_t n) {
        auto created =
            Note(kCreateTicket,
                 client.Post(kCreateTicket,
                             "/api/tickets",
                             json{{"title", "Chaos " + std::to_string(n)}, {"price", 5}}.dump(),
                             seller));
        if (created.status != 201) {
            return false;
        }
        TicketFact ticket{StringField(JsonOf(created), "id"), 5, {}};
        for (double price : {10.0, 15.0}) {
            auto r = Note(
                kUpdateTicket,
                client.Put(kUpdateTicket,
                           "/api/tickets/" + ticket.id,
                           json{{"title", "Chaos " + std::to_string(n)}, {"price", price}}.dump(),
                           seller));
            if (r.status == 200) {
                ticket.acked_price = price;
                ticket.unsure_prices.clear();
            } else {
                ticket.unsure_prices.push_back(price);
            }
        }
        facts_.Ticket(ticket);

        auto ordered = Note(kCreateOrder, OrderWhenKnown(client, {201, "", buyer}, ticket.id, 15s));
        if (ordered.status != 201) {
            return true;
        }
        OrderFact order{StringField(JsonOf(ordered), "id"), ticket.id, buyer, false, false};
        if (n % 4 != 3) {
            auto paid = Note(kPay, PayWhenKnown(client, {201, "", buyer}, order.id, 15s));
            order.paid = paid.status == 201;
            order.pay_unsure = !order.paid;
        }
        facts_.Order(order);
        return true;
    }

    const LoadOptions& load_;
    Recorder& recorder_;
    Facts& facts_;
    Clock::time_point end_;
    const std::atomic<bool>& faults_done_;
    double flows_per_second_;
};

// Poison: undecodable on every subject, and records or versions nobody has.
std::vector<std::string> PublishPoison(const std::string& nats_url, int round) {
    metrics::Registry registry;
    bus::ConnectionOptions co;
    co.url = nats_url;
    co.name = "chaos-poison";
    auto connection = bus::NatsConnection::Connect(co);
    bus::NatsPublisher publisher(*connection, registry);
    const std::string unknown = "ffffffffffffffffffff" + std::to_string(1000 + round % 9000);
    std::vector<bus::Envelope> envelopes;
    auto add = [&](std::string subject, std::string payload) {
        std::string id = "poison-" + std::to_string(round) + "-" +
                         std::to_string(envelopes.size()) + "-" +
                         std::to_string(std::random_device{}());
        envelopes.push_back({std::move(subject),
                             std::move(payload),
                             id,
                             util::FormatIso8601(util::SystemClock().Now()),
                             ""});
    };
    for (const auto& s : events::kAllSubjects) {
        add(std::string(s.name), "{\"poison\": ");  // not JSON
    }
    add("ticket:updated",
        events::Encode(events::TicketUpdated{unknown, 5, "Nobody's", 100, unknown, {}}));
    add("order:cancelled", events::Encode(events::OrderCancelled{unknown, 3, {unknown}}));
    add("expiration:complete", events::Encode(events::ExpirationComplete{unknown}));
    add("payment:created", events::Encode(events::PaymentCreated{unknown, unknown, "ch_x"}));
    std::vector<std::string> published;
    auto acked = publisher.PublishBatch(envelopes);
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        if (acked[i]) {
            published.push_back(envelopes[i].event_id);
        }
    }
    return published;
}

// When redis-server on `port` first answers PING (polled every 10 ms, for at most a minute).
util::TimePoint WaitForRedis(int port, const std::string& password) {
    const std::string ping = "AUTH " + password + "\r\nPING\r\n";
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline) {
        // "+OK\r\n" for AUTH, then "+PONG\r\n" (or -LOADING while the AOF loads).
        const auto reply =
            test::RawExchange(static_cast<std::uint16_t>(port), ping, 1s, [](std::string_view got) {
                const auto first = got.find("\r\n");
                return first != std::string_view::npos &&
                       got.find("\r\n", first + 2) != std::string_view::npos;
            });
        if (reply.find("+PONG") != std::string::npos) {
            return util::SystemClock().Now();
        }
        std::this_thread::sleep_for(10ms);  // polling a port, not synchronising threads
    }
    throw std::runtime_error("redis did not answer within a minute of its start");
}

// Injects one fault after another until `end`.
class FaultInjector {
public:
    FaultInjector(const Stack& stack,
                  test::FakeStripeServer& stripe,
                  FaultLog& log,
                  std::vector<std::string>& poison_ids,
                  const ChaosOptions& options)
        : stack_(stack), stripe_(stripe), log_(log), poison_ids_(poison_ids), options_(options) {}

    void Run(Clock::time_point end, const std::atomic<bool>& stop) {
        const std::vector<std::string> kinds = {"kill", "gateway", "nats", "poison", "redis"};
        std::mt19937 rng(std::random_device{}());
        // Until `end`, and at least one round of every kind.
        for (int round = 0;
             (Clock::now() < end || round < static_cast<int>(kinds.size())) && !stop;
             ++round) {
            auto started = Clock::now();
            const std::string& kind = kinds[static_cast<std::size_t>(round) % kinds.size()];
            std::fprintf(stderr, "\nchaos: %s\n", kind.c_str());
            if (kind == "kill") {
                KillOneReplicaEach(rng);
                log_.Add(kind, started, Clock::now() + 5s);
            } else if (kind == "gateway") {
                stripe_.FailNext(3);
                stripe_.HangNext(2);
                Pause(8s, stop);
                stripe_.ReleaseHung();
                log_.Add(kind, started, Clock::now() + 2s);
            } else if (kind == "nats") {
                int node =
                    static_cast<int>(rng() % static_cast<unsigned>(stack_.Int("NATS_NODES")));
                int pid = stack_.Pid("nats-" + std::to_string(node));
                if (pid > 0) {
                    ::kill(pid, SIGSTOP);
                    Pause(3s, stop);
                    ::kill(pid, SIGKILL);
                }
                log_.Add(kind, started, Clock::now() + 10s);  // restart and reconnects
            } else if (kind == "poison") {
                auto ids = PublishPoison(stack_.NatsUrl(), round);
                poison_ids_.insert(poison_ids_.end(), ids.begin(), ids.end());
                log_.Add(kind, started, Clock::now());
            } else if (kind == "redis") {
                stack_.Ctl({"restart", "redis"});
                log_.Add(kind, started, Clock::now() + 3s);
            }
            auto next = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options_.fault_every_s));
            Pause(next - Clock::now(), stop);
        }
    }

    // The one long outage of options_.outage; returns when the dependency is back.
    void RunOutage(const std::atomic<bool>& stop,
                   util::TimePoint* down_at,
                   util::TimePoint* back_at) {
        const auto seconds = [](double s) {
            return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
        };
        Pause(seconds(options_.outage_after_s), stop);
        const std::string& kind = options_.outage;
        std::fprintf(stderr, "\noutage: %s for %.0f s\n", kind.c_str(), options_.outage_s);
        auto started = Clock::now();
        *down_at = util::SystemClock().Now();
        if (kind == "gateway") {
            stripe_.SetOutage(test::FakeStripeServer::Outage::kFailing);
            Pause(seconds(options_.outage_s / 2), stop);
            stripe_.SetOutage(test::FakeStripeServer::Outage::kHanging);
            Pause(seconds(options_.outage_s / 2), stop);
            stripe_.SetOutage(test::FakeStripeServer::Outage::kNone);
            *back_at = util::SystemClock().Now();
        } else {
            std::string out = stack_.Ctl({"stop", kind});
            if (out.find("stopped") == std::string::npos) {
                throw std::runtime_error("could not stop " + kind + ": " + out);
            }
            Pause(seconds(options_.outage_s), stop);
            // It is back when it answers: supervisorctl itself can take seconds to start on a
            // busy machine, which is not the system's lateness.
            std::thread starter([&] { out = stack_.Ctl({"start", kind}); });
            *back_at = kind == "redis" ? WaitForRedis(stack_.Int("REDIS_PORT"), stack_.Secret("redis-default"))
                                       : util::SystemClock().Now();
            starter.join();
            if (out.find("started") == std::string::npos) {
                throw std::runtime_error("could not start " + kind + ": " + out);
            }
        }
        std::fprintf(stderr, "\noutage: %s back\n", kind.c_str());
        // Requests may fail a little after the return: connections are re-made, nginx brings
        // replicas back into rotation, payments' held calls finish.
        log_.Add(kind, started, Clock::now() + 20s);
    }

private:
    void KillOneReplicaEach(std::mt19937& rng) {
        int replicas = stack_.Int("REPLICAS");
        for (const auto& service : kServices) {
            int replica = static_cast<int>(rng() % static_cast<unsigned>(replicas));
            int pid = stack_.Pid(service + "-" + std::to_string(replica));
            if (pid > 0) {
                ::kill(pid, SIGKILL);
            }
        }
    }

    // Waits `d` or until asked to stop: the injector's pacing, not a synchronisation.
    static void Pause(Clock::duration d, const std::atomic<bool>& stop) {
        auto until = Clock::now() + d;
        while (!stop && Clock::now() < until) {
            std::this_thread::sleep_for(50ms);
        }
    }

    const Stack& stack_;
    test::FakeStripeServer& stripe_;
    FaultLog& log_;
    std::vector<std::string>& poison_ids_;
    const ChaosOptions& options_;
};

std::optional<double> Metric(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    std::string line;
    std::optional<double> total;
    while (std::getline(in, line)) {
        if (line.starts_with(name + " ") || line.starts_with(name + "{")) {
            auto space = line.rfind(' ');
            total = total.value_or(0) + std::stod(line.substr(space + 1));
        }
    }
    return total;
}

// Every consumer has nothing pending or unacknowledged, and every outbox is empty.
bool Quiet(const Stack& stack, std::string* what) {
    for (const auto& [group, subjects] : kConsumers) {
        for (const auto& subject : subjects) {
            auto name = bus::ConsumerName(group, subject);
            auto backlog = test::ConsumerBacklog(stack.NatsUrl(), "TICKETING", name);
            if (backlog != 0) {
                *what = name + " has " + std::to_string(backlog) + " pending";
                return false;
            }
        }
    }
    for (const auto& service : {"tickets", "orders", "payments"}) {
        for (int i = 0; i < stack.Int("REPLICAS"); ++i) {
            test::HttpClient c("http://127.0.0.1:" + std::to_string(stack.ServicePort(service, i)));
            c.SetTimeout(2000);
            auto r = c.Get("/metrics");
            auto backlog = Metric(r.body, "outbox_backlog");
            if (r.status != 200 || !backlog || *backlog != 0) {
                *what = std::string(service) + "-" + std::to_string(i) + " outbox not empty";
                return false;
            }
        }
    }
    return true;
}

struct Invariant {
    explicit Invariant(std::string n) : name(std::move(n)) {}

    std::string name;
    bool pass = true;
    std::string detail;
    std::vector<std::string> problems;

    void Fail(std::string problem) {
        pass = false;
        if (problems.size() < 10) {
            problems.push_back(std::move(problem));
        }
    }
};

}  // namespace

ChaosReport RunChaos(const LoadOptions& load,
                     const ChaosOptions& chaos,
                     test::FakeStripeServer& stripe) {
    Stack stack(chaos.stack_dir);
    LoadOptions options = load;
    options.duration_s = chaos.duration_s;
    ScenarioContext ctx(options);
    Facts facts;
    FaultLog faults;
    std::vector<std::string> poison_ids;
    const auto started = Clock::now();
    const auto end = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(chaos.duration_s));

    // 1. workload and faults
    ctx.progress.Begin("faults", 0);
    std::atomic<bool> stop{false};
    FaultInjector injector(stack, stripe, faults, poison_ids, chaos);
    util::TimePoint outage_down{}, outage_back{};
    std::exception_ptr injector_error;
    std::atomic<bool> faults_done{false};
    std::thread fault_thread([&] {
        try {
            if (chaos.outage.empty()) {
                injector.Run(end, stop);
            } else {
                injector.RunOutage(stop, &outage_down, &outage_back);
            }
        } catch (...) {
            injector_error = std::current_exception();
        }
        faults_done = true;
    });
    Workload workload(options, ctx.recorder, facts, end, faults_done, chaos.flows_per_second);
    RunWorkers(options.concurrency, [&](int w) { workload.Run(w); });
    stop = true;
    fault_thread.join();
    stripe.ReleaseHung();
    stripe.SetOutage(test::FakeStripeServer::Outage::kNone);
    ctx.progress.End();
    if (injector_error) {
        std::rethrow_exception(injector_error);
    }

    // 2. quiet: every consumer drained, every outbox empty
    ctx.progress.Begin("quiet", 0);
    std::string busy;
    bool quiet =
        PollUntil([&] { return Quiet(stack, &busy); },
                  std::chrono::milliseconds(static_cast<long>(chaos.quiet_timeout_s * 1000)),
                  500ms);
    ctx.progress.End();

    // 3. invariants
    ctx.progress.Begin("checks", 0);
    LoadClient client(options.base_url, ctx.recorder);
    const auto settle = ctx.Timeout();
    Invariant reflected{"every 2xx reflected in every service"};
    Invariant one_active{"no ticket with two active orders"};
    Invariant charged{"money taken once for completed orders, every other hold released"};
    Invariant dead_letters{"poison dead-lettered, no consumer stuck"};
    Invariant server_errors{"5xx only 503 (contract format) while a dependency was down"};

    std::map<std::string, int> active_per_ticket;
    auto tickets = facts.Tickets();
    for (const auto& t : tickets) {
        HttpResult r;
        bool ok = PollUntil(
            [&] {
                r = client.Get(kShowTicket, "/api/tickets/" + t.id);
                if (r.status != 200) {
                    return false;
                }
                auto price = NumberField(JsonOf(r), "price").value_or(-1);
                return price == t.acked_price ||
                       std::find(t.unsure_prices.begin(), t.unsure_prices.end(), price) !=
                           t.unsure_prices.end();
            },
            settle);
        if (!ok) {
            reflected.Fail("ticket " + t.id + ": answered " + std::to_string(r.status) + " " +
                           r.body.substr(0, 120) + ", acknowledged price " +
                           std::to_string(t.acked_price));
        }
    }
    auto orders = facts.Orders();
    std::map<std::string, std::string> final_status;  // order id -> status once settled
    int paid_then_expired = 0;
    for (const auto& o : orders) {
        json order, ticket;
        bool settled = PollUntil(
            [&] {
                auto r = client.Get(kShowOrder, "/api/orders/" + o.id, o.buyer);
                auto t = client.Get(kShowTicket, "/api/tickets/" + o.ticket_id);
                if (r.status != 200 || t.status != 200) {
                    return false;
                }
                order = JsonOf(r);
                ticket = JsonOf(t);
                std::string status = StringField(order, "status");
                // A payment answered 201 normally completes its order; but when the order's
                // expiration reached orders first (payments had not heard of it yet), the order
                // is cancelled and the hold released (the gateway check below): nobody pays
                // for an order they do not get.
                bool final =
                    o.paid ? (status == "complete" || status == "cancelled")
                           : (status == "cancelled" || (status == "complete" && o.pay_unsure));
                bool held = StringField(ticket, "orderId") == o.id;
                bool replica =
                    order.contains("ticket") &&
                    IntField(order["ticket"], "version") == IntField(ticket, "version") &&
                    NumberField(order["ticket"], "price") == NumberField(ticket, "price");
                return final && held == (status == "complete") && replica;
            },
            settle,
            200ms);
        std::string status = StringField(order, "status");
        final_status[o.id] = status;
        if (o.paid && status == "cancelled") {
            ++paid_then_expired;
        }
        if (!settled) {
            reflected.Fail("order " + o.id + (o.paid ? " (paid)" : " (unpaid)") + ": status " +
                           status + ", ticket " + ticket.dump() + ", order " + order.dump());
        }
        if (status == "created" || status == "awaiting:payment" || status == "complete") {
            if (++active_per_ticket[o.ticket_id] > 1) {
                one_active.Fail("ticket " + o.ticket_id + " has two active orders");
            }
        }
    }
    // The gateway settles last: an authorisation left in flight by a killed replica is resumed
    // by the payments recovery sweep once its attempt's lease (2 min) has passed, with the same
    // key, and released if its order was cancelled meanwhile; captures and releases the gateway
    // could not make are retried. So this waits up to 3 minutes. Money is taken only for
    // completed orders, exactly once; every other hold is released.
    GatewayLedger ledger(stripe.Calls());
    auto expected_captures = [&](const std::string& order) {
        return final_status[order] == "complete" ? 1 : 0;
    };
    auto settled = [&](const std::string& order) {
        return ledger.Captured(order) == expected_captures(order) && ledger.Held(order) == 0;
    };
    PollUntil(
        [&] {
            ledger = GatewayLedger(stripe.Calls());
            return std::all_of(orders.begin(), orders.end(), [&](const OrderFact& o) {
                return settled(o.id);
            });
        },
        std::max<std::chrono::milliseconds>(settle, 180s),
        1s);
    for (const auto& o : orders) {
        if (!settled(o.id)) {
            charged.Fail("order " + o.id + " (" + final_status[o.id] + ") has " +
                         std::to_string(ledger.Captured(o.id)) + " captured charge(s) and " +
                         std::to_string(ledger.Held(o.id)) + " open hold(s)");
        }
    }
    for (const auto& [order, ids] : ledger.charges) {
        if (ledger.Captured(order) > 1) {
            charged.Fail("order " + order + " was captured " +
                         std::to_string(ledger.Captured(order)) + " times");
        }
    }
    charged.detail = std::to_string(ledger.charge_count) + " authorisations, " +
                     std::to_string(ledger.capture_count) + " captures, " +
                     std::to_string(ledger.release_count) + " releases";

    auto dlq = test::ReadStream(stack.NatsUrl(), "TICKETING_DLQ");
    std::set<std::string> dead;
    for (const auto& m : dlq) {
        auto it = m.headers.find("Ticketing-Original-Msg-Id");
        if (it != m.headers.end()) {
            dead.insert(it->second);
        }
    }
    for (const auto& id : poison_ids) {
        if (!dead.contains(id)) {
            dead_letters.Fail("poison " + id + " is not in TICKETING_DLQ");
        }
    }
    if (!chaos.outage.empty() && !dlq.empty()) {
        // An outage is transient, however long: nothing of it may be parked.
        for (const auto& m : dlq) {
            auto reason = m.headers.find(bus::kDeadLetterReasonHeader);
            dead_letters.Fail("dead-lettered during the " + chaos.outage + " outage: " +
                              m.subject + " (" +
                              (reason == m.headers.end() ? std::string("?") : reason->second) +
                              ")");
        }
    }
    if (!quiet) {
        dead_letters.Fail("not quiet after " + std::to_string(chaos.quiet_timeout_s) +
                          " s: " + busy);
    }
    dead_letters.detail = std::to_string(poison_ids.size()) + " poison published, " +
                          std::to_string(dlq.size()) + " dead letters";

    // Expiration lateness: each expiration:complete's time against its order's expiresAt, or,
    // for an order due while Redis was down, against Redis's return.
    std::vector<double> lateness;
    {
        std::map<std::string, util::TimePoint> expires_at;
        std::vector<std::pair<std::string, util::TimePoint>> fired;
        for (const auto& m : test::ReadStream(stack.NatsUrl(), "TICKETING")) {
            try {
                if (m.subject == events::kOrderCreated.name) {
                    auto o = events::Decode<events::OrderCreated>(m.payload);
                    expires_at[o.id] = o.expires_at;
                } else if (m.subject == events::kExpirationComplete.name) {
                    auto at = m.headers.find(bus::kOccurredAtHeader);
                    auto when =
                        at == m.headers.end() ? std::nullopt : util::ParseIso8601(at->second);
                    if (when) {
                        fired.emplace_back(
                            events::Decode<events::ExpirationComplete>(m.payload).order_id,
                            *when);
                    }
                }
            } catch (const std::exception&) {
                // the poison the fault suite publishes on every subject
            }
        }
        for (const auto& [order, when] : fired) {
            auto due = expires_at.find(order);
            if (due == expires_at.end()) {
                continue;
            }
            // Only Redis holds the expirations: the other outages do not delay them.
            const bool held = chaos.outage == "redis" && due->second >= outage_down &&
                              due->second < outage_back;
            auto from = held ? outage_back : due->second;
            lateness.push_back(std::chrono::duration<double>(when - from).count());
        }
        std::sort(lateness.begin(), lateness.end());
    }
    auto quantile = [&](double q) {
        if (lateness.empty()) {
            return 0.0;
        }
        auto i = static_cast<std::size_t>(q * static_cast<double>(lateness.size() - 1) + 0.5);
        return lateness[std::min(i, lateness.size() - 1)];
    };
    Invariant on_time{"expirations on time (p99 lateness under 5 s)"};
    on_time.detail = std::to_string(lateness.size()) + " expirations, lateness p50 " +
                     std::to_string(quantile(0.5)) + " s, p99 " + std::to_string(quantile(0.99)) +
                     " s, max " + std::to_string(lateness.empty() ? 0.0 : lateness.back()) + " s";
    if (chaos.outage == "redis" && quantile(0.99) >= 5.0) {
        on_time.Fail("p99 lateness " + std::to_string(quantile(0.99)) + " s after Redis returned");
    }

    std::map<long, int> errors_by_status;
    for (const auto& e : facts.Errors()) {
        ++errors_by_status[e.status];
        if (!faults.Covers(e.at, 15s)) {
            server_errors.Fail(e.type + " answered " + std::to_string(e.status) + " at " +
                               std::to_string(Seconds(e.at - started)) +
                               " s, outside every fault window");
        } else if (e.status != 0 && (e.status != 503 || !e.contract_format)) {
            server_errors.Fail(e.type + " answered " + std::to_string(e.status) +
                               (e.contract_format ? "" : " not in the contract's format"));
        }
    }
    reflected.detail = std::to_string(tickets.size()) + " tickets, " +
                       std::to_string(orders.size()) + " orders, " +
                       std::to_string(paid_then_expired) + " paid as they expired (released)";
    ctx.progress.End();

    // 4. report
    std::vector<Invariant> invariants = {
        reflected, one_active, charged, dead_letters, server_errors, on_time};
    bool pass =
        std::all_of(invariants.begin(), invariants.end(), [](const auto& i) { return i.pass; });
    std::ostringstream out;
    out << "\nfault suite: " << chaos.duration_s << " s of workload under "
        << (chaos.outage.empty() ? std::string("faults")
                                 : "a " + std::to_string(static_cast<int>(chaos.outage_s)) +
                                       " s " + chaos.outage + " outage")
        << ", " << options.concurrency << " workers"
        << (chaos.flows_per_second > 0
                ? " paced at " + std::to_string(static_cast<int>(chaos.flows_per_second)) +
                      " flows/s"
                : std::string())
        << ", stack " << chaos.stack_dir.string()
        << "\n\n";
    out << "faults injected\n";
    json j;
    for (const auto& [kind, n] : faults.Counts()) {
        out << "  " << kind << std::string(12 - std::min<std::size_t>(kind.size(), 11), ' ') << n
            << "\n";
        j["faults"][kind] = n;
    }
    out << "\nrequests\n" << FormatStatsTable(ctx.recorder.Summaries()) << "\n";
    out << "errors by status (5xx and no answer)\n";
    for (const auto& [status, n] : errors_by_status) {
        out << "  " << (status == 0 ? std::string("no answer") : std::to_string(status)) << ": "
            << n << "\n";
        j["errors_by_status"][status == 0 ? "no answer" : std::to_string(status)] = n;
    }
    if (errors_by_status.empty()) {
        out << "  none\n";
    }
    out << "events dead-lettered: " << dlq.size() << "\n\ninvariants\n";
    for (const auto& inv : invariants) {
        char line[160];
        std::snprintf(line,
                      sizeof line,
                      "  %-62s %s  (%s)\n",
                      inv.name.c_str(),
                      inv.pass ? "PASS" : "FAIL",
                      inv.detail.c_str());
        out << line;
        for (const auto& p : inv.problems) {
            out << "      " << p << "\n";
        }
        j["invariants"].push_back({{"name", inv.name},
                                   {"pass", inv.pass},
                                   {"detail", inv.detail},
                                   {"problems", inv.problems}});
    }
    out << "\nverdict: " << (pass ? "PASS" : "FAIL") << "\n";
    j["pass"] = pass;
    j["dead_letters"] = dlq.size();
    j["poison"] = poison_ids.size();
    j["lateness_s"] = {{"count", lateness.size()},
                       {"p50", quantile(0.5)},
                       {"p99", quantile(0.99)},
                       {"max", lateness.empty() ? 0.0 : lateness.back()}};
    if (!chaos.outage.empty()) {
        j["outage"] = {{"kind", chaos.outage}, {"seconds", chaos.outage_s}};
    }
    return {pass, out.str(), j};
}

}  // namespace ticketing::load

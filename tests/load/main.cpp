// ticketing-load: the concurrency load test (issue 11). Drives the system through the ingress as
// users would, prints a progress bar on stderr, then a table per request type and the verdict.
// Exit status: 0 PASS, 1 FAIL, 2 bad usage. See tests/load/README.md.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "common/testing/fake_stripe_server.hpp"

#include "chaos.hpp"
#include "scenarios.hpp"

namespace {

using ticketing::load::LoadOptions;
using ticketing::load::Progress;

constexpr int kPass = 0;
constexpr int kFail = 1;
constexpr int kUsage = 2;
// The key the stack's payments must send to the fake Stripe server of `chaos` (STRIPE_KEY).
constexpr const char* kChaosStripeKey = "sk_test_fake_0123456789abcdef";

constexpr const char* kFooter = R"(
The ingress limits sign-ups to 10/s per address by default; start the stack for a load test with
a higher rate (429s are retried and counted apart, but they slow the run down), and with a short
reservation window for `expire`:
  TICKETING_AUTH_RATE=1000 EXPIRATION_WINDOW_SECONDS=10 scripts/run.sh start --detach --replicas 4
Exit status: 0 PASS, 1 FAIL, 2 bad usage.)";

}  // namespace

int main(int argc, char** argv) {
    LoadOptions options;
    std::string json_file;
    std::string progress = "auto";

    CLI::App app{"ticketing-load: concurrency load test of Ticketing, through the ingress"};
    app.footer(kFooter);
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--base-url", options.base_url, "Ingress URL")->capture_default_str();
    app.add_option("-c,--concurrency", options.concurrency, "Parallel chains, flows or sign-ups")
        ->capture_default_str()
        ->check(CLI::Range(1, 2000));
    app.add_option("--timeout", options.timeout_s, "Seconds to wait for the system to settle")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--json", json_file, "Also write the report as JSON to this file");
    app.add_option("--progress", progress, "Progress on stderr: auto, bar, lines or off")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "bar", "lines", "off"}));

    auto* occ = app.add_subcommand(
        "occ", "Chains of create 5 / update 10 / update 15 (not awaited); all must end at 15 v2");
    occ->add_option("--chains", options.chains, "Chains in total")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000'000));
    auto* race =
        app.add_subcommand("race", "Buyers order the same ticket at once; exactly one may win");
    race->add_option("--buyers", options.buyers, "Buyers per ticket (one thread each)")
        ->capture_default_str()
        ->check(CLI::Range(2, 2000));
    race->add_option("--tickets", options.tickets, "Tickets raced for, one after the other")
        ->capture_default_str()
        ->check(CLI::Range(1, 100'000));
    auto* purchase =
        app.add_subcommand("purchase", "Sign up, list, order, pay: every order must complete");
    purchase->add_option("--users", options.users, "Users (flows) in total")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000'000));
    auto* expire = app.add_subcommand(
        "expire", "Unpaid orders must be cancelled and their tickets listed within window + 2 s");
    expire->add_option("--orders", options.orders, "Orders left unpaid")
        ->capture_default_str()
        ->check(CLI::Range(1, 100'000));
    expire
        ->add_option("--max-window",
                     options.max_window_s,
                     "Refuse a stack whose expiration window is longer (seconds)")
        ->capture_default_str();
    ticketing::load::ChaosOptions chaos_options;
    int stripe_port = 12111;
    auto* chaos = app.add_subcommand(
        "chaos",
        "The fault suite: a purchase + occ workload while replicas, nats-server, redis-server "
        "and the gateway fail and poison events arrive; then every invariant (--chaos)");
    chaos->alias("--chaos");
    chaos->add_option("--stack-dir", chaos_options.stack_dir, "TICKETING_DATA_DIR of the stack")
        ->required();
    chaos->add_option("--duration", chaos_options.duration_s, "Seconds of workload under faults")
        ->capture_default_str()
        ->check(CLI::Range(5.0, 86400.0));
    chaos->add_option("--fault-every", chaos_options.fault_every_s, "Seconds between faults")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    chaos
        ->add_option("--stripe-port",
                     stripe_port,
                     "Port of the fake Stripe server this tool runs (the stack's STRIPE_API_BASE)")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));

    for (auto* sub : {occ, purchase}) {
        sub->add_option("--duration",
                        options.duration_s,
                        "Keep starting new ones for this many seconds instead of a fixed count")
            ->check(CLI::Range(0.1, 86400.0));
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kUsage;
    }
    options.progress = progress == "auto"    ? Progress::AutoMode()
                       : progress == "bar"   ? Progress::Mode::kBar
                       : progress == "lines" ? Progress::Mode::kLines
                                             : Progress::Mode::kOff;

    if (chaos->parsed()) {
        try {
            ticketing::test::FakeStripeServer stripe(kChaosStripeKey,
                                                     static_cast<std::uint16_t>(stripe_port));
            auto result = ticketing::load::RunChaos(options, chaos_options, stripe);
            std::cout << result.text << std::flush;
            if (!json_file.empty()) {
                std::ofstream out(json_file);
                out << result.json.dump(2) << "\n";
            }
            return result.pass ? kPass : kFail;
        } catch (const std::exception& e) {
            std::cerr << "ticketing-load: " << e.what() << "\n";
            return kFail;
        }
    }

    ticketing::load::ScenarioReport report;
    try {
        if (occ->parsed()) {
            report = ticketing::load::RunOcc(options);
        } else if (race->parsed()) {
            report = ticketing::load::RunRace(options);
        } else if (purchase->parsed()) {
            report = ticketing::load::RunPurchase(options);
        } else {
            report = ticketing::load::RunExpire(options);
        }
    } catch (const std::exception& e) {
        std::cerr << "ticketing-load: " << e.what() << "\n";
        return kFail;
    }
    std::cout << FormatReport(report) << std::flush;
    if (!json_file.empty()) {
        std::ofstream out(json_file);
        out << ReportToJson(report, options).dump(2) << "\n";
        if (!out) {
            std::cerr << "ticketing-load: cannot write " << json_file << "\n";
            return kUsage;
        }
    }
    return report.verdict.pass ? kPass : kFail;
}

// The fault suite (issue 12): a steady purchase + occ-like workload through the ingress of a
// stack started by scripts/run.sh, while a fault injector, in turn and again until the duration
// has passed:
//   kill      SIGKILLs one replica of each service (supervisord restarts it)
//   nats      freezes nats-server (SIGSTOP) for a few seconds, then SIGKILLs it (supervisord
//             starts it again on the same store)
//   redis     restarts redis-server (its AOF keeps the pending expirations)
//   gateway   makes the payment gateway fail (500) and hang (the fake Stripe server)
//   poison    publishes undecodable payloads and events of unknown records or versions on every
//             subject
// Then, once every consumer and outbox is empty, it checks through the public API, the stream and
// the gateway's call log: every 2xx is reflected everywhere it should be (tickets, the orders
// replica, orders completed or expired, completed orders paid exactly once at the gateway and
// cancelled ones not charged), no ticket has two active orders, every poison event is in the
// dead-letter stream, no consumer is stuck, and every 5xx is a 503 in the contract's format inside
// a window where a dependency was down.
// With ChaosOptions::outage it injects that one long outage instead, and judges the same
// invariants plus: no dead letter at all, and expirations on time once the outage ends.
// The stack must run payments with PAYMENT_GATEWAY=stripe against the FakeStripeServer given
// here and a short EXPIRATION_WINDOW_SECONDS (tests/load/README.md).
// Thread-safety: RunChaos starts and joins its own threads.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "scenarios.hpp"

namespace ticketing::test {
class FakeStripeServer;
}

namespace ticketing::load {

struct ChaosOptions {
    std::filesystem::path stack_dir;  // TICKETING_DATA_DIR of the stack (run/stack.env in it)
    double duration_s = 300;          // workload and faults
    double fault_every_s = 6;         // one fault starts this often
    double quiet_timeout_s = 180;     // for consumers and outboxes to drain afterwards
    // One long outage instead of the rotating faults (issue 15), `outage_after_s` into the
    // workload, for `outage_s`:
    //   redis     redis-server stopped (supervisorctl stop), then started on its AOF
    //   postgres  the PostgreSQL cluster stopped (fast shutdown), then started
    //   gateway   the fake Stripe server answers 500 for the first half, then hangs every call
    // Then no event may be dead-lettered, and for redis the expirations must be on time after
    // its return: lateness = expiration:complete's time - max(expiresAt, return), p99 < 5 s.
    // Empty: the rotating faults. duration_s must cover outage_after_s + outage_s.
    std::string outage;
    double outage_s = 180;
    double outage_after_s = 15;
    // Flows (a ticket listed, updated twice, ordered, 3 in 4 paid) started per second by all
    // workers together; 0: each worker starts the next as soon as the last ends. The outages
    // pace it: unpaced, a faster stack places more orders during the outage, and the backlog
    // that the return must drain (hence the lateness measured) would grow with the machine.
    double flows_per_second = 0;
};

struct ChaosReport {
    bool pass = false;
    std::string text;  // the summary tables and the verdict
    nlohmann::json json;
};

ChaosReport RunChaos(const LoadOptions& load,
                     const ChaosOptions& chaos,
                     test::FakeStripeServer& stripe);

}  // namespace ticketing::load

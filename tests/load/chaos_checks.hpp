// The pure parts of the fault suite's judgement (chaos.hpp), apart so that they are unit-tested:
//   FaultLog       when each fault was on; whether a moment falls in one (plus a grace to recover)
//   ContractError  whether an answer's body is the contract's {"errors":[{"message": ...}]}
//   GatewayLedger  the authorisations, captures and releases of the fake Stripe server's call log,
//                  per order (from the idempotency keys pay-<order id>-<attempt id>): each order's
//                  captured charges (money taken) and holds still open
// Thread-safety: FaultLog is safe from any thread; the others are values.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/testing/fake_stripe_server.hpp"
#include "common/testing/http_client.hpp"

namespace ticketing::load {

class FaultLog {
public:
    using Clock = std::chrono::steady_clock;

    void Add(const std::string& kind, Clock::time_point start, Clock::time_point end);
    // True when `t` lies in a window, from a second before its start to `grace` after its end.
    bool Covers(Clock::time_point t, Clock::duration grace) const;
    std::map<std::string, int> Counts() const;

private:
    struct Window {
        std::string kind;
        Clock::time_point start, end;
    };
    mutable std::mutex mu_;
    std::vector<Window> windows_;
    std::map<std::string, int> counts_;
};

bool ContractError(const test::HttpResult& r);

struct GatewayLedger {
    explicit GatewayLedger(const std::vector<test::FakeStripeServer::Call>& calls);
    // The order's charges that were captured (money taken; released ones are never captured).
    int Captured(const std::string& order) const;
    // The order's authorisations neither captured nor released: holds still open.
    int Held(const std::string& order) const;

    std::map<std::string, std::set<std::string>> charges;  // order -> charge ids authorised
    std::set<std::string> captured;                        // charge ids
    std::set<std::string> released;                        // charge ids
    std::size_t charge_count = 0;
    std::size_t capture_count = 0;
    std::size_t release_count = 0;

private:
    // The order's authorised charges for which `which` is true.
    int Count(const std::string& order,
              const std::function<bool(const std::string&)>& which) const;
};

}  // namespace ticketing::load

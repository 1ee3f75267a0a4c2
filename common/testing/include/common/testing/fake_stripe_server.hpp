// FakeStripeServer: a small stand-in for Stripe's Charges and Refunds API, for tests of a Stripe
// client (the payments service's StripeGateway). common/http's Server on 127.0.0.1, port 0.
//   POST /v1/charges  form amount (positive integer), currency (usd), source (a test token of
//                     common/payments/stripe_test_tokens.hpp: tok_visa, tok_mastercard, ... charge;
//                     tok_chargeDeclined, ... decline with 402 card_error and Stripe's message;
//                     anything else is 400
//                     invalid_request_error, param source), capture ("false": an uncaptured
//                     charge, a hold)
//   POST /v1/charges/<id>/capture  captures a hold (400 charge_already_captured /
//                     charge_already_refunded as Stripe; 404 for an unknown id)
//   POST /v1/refunds  form charge (one of its charges, refunded at most once; for a hold this
//                     releases it)
// Every request must carry `Authorization: Bearer <ApiKey()>` (else 401, as Stripe),
// `Content-Type: application/x-www-form-urlencoded` and an `Idempotency-Key` (else 400; Stripe
// does not insist, this fake does, because its client must always send one). The same key with
// the same form replays the first answer; with another form it is 400 idempotency_error.
// Answers are Stripe-shaped JSON ({"id":"ch_...","object":"charge",...} or {"error":{...}}).
// Failure switches: FailNext(n) answers 500 to the next n requests; HangNext(n) holds the next n
// without an answer until ReleaseHung() or destruction (then they are processed normally, as
// Stripe would still act on a request whose client timed out). SetOutage(kFailing) answers 500 to
// everything, SetOutage(kHanging) holds everything, until SetOutage(kNone) (held requests are
// then processed normally). Every request is logged (Calls).
// Thread-safety: every method is safe from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ticketing::http {
class Request;
struct Response;
class Server;
}  // namespace ticketing::http
namespace ticketing::metrics {
class Registry;
}

namespace ticketing::test {

class FakeStripeServer final {
public:
    struct Call {
        std::string path;             // "/v1/charges", "/v1/charges/<id>/capture", "/v1/refunds"
        std::string authorization;    // the header as received
        std::string idempotency_key;  // "" when absent
        std::map<std::string, std::string> form;
        int status = 0;    // the answer's status; 0 while the request is held
        std::string body;  // the answer's body (charge or refund JSON, or the error)
    };

    // `port` 0: any free port (tests); the chaos run of the load tool gives a fixed one, so that
    // a stack can be started with STRIPE_API_BASE pointing at it beforehand.
    explicit FakeStripeServer(std::string api_key = "sk_test_fake_0123456789abcdef",
                              std::uint16_t port = 0);
    ~FakeStripeServer();
    FakeStripeServer(const FakeStripeServer&) = delete;
    FakeStripeServer& operator=(const FakeStripeServer&) = delete;

    // http://127.0.0.1:<port>, for STRIPE_API_BASE.
    std::string BaseUrl() const;
    const std::string& ApiKey() const { return api_key_; }

    void FailNext(int n);
    void HangNext(int n);
    enum class Outage { kNone, kFailing, kHanging };
    void SetOutage(Outage outage);
    void ReleaseHung();

    std::vector<Call> Calls() const;
    std::size_t CallCount(std::string_view path) const;
    // Objects created (a replayed answer creates nothing).
    std::size_t ChargesCreated() const;
    std::size_t RefundsCreated() const;
    // Charges captured, at creation or later.
    std::size_t CapturesMade() const;

private:
    struct Stored {
        std::string path;
        std::map<std::string, std::string> form;
        int status = 0;
        std::string body;
    };
    struct Charge {
        long long amount = 0;
        bool captured = true;
        bool refunded = false;
    };

    http::Response Handle(const http::Request& req, const std::string& path);
    // The answer to a well-formed, authorised request; called with mu_ held.
    std::pair<int, std::string> Process(const std::string& path,
                                        const std::map<std::string, std::string>& form);
    std::pair<int, std::string> CreateCharge(const std::map<std::string, std::string>& form);
    std::pair<int, std::string> CreateRefund(const std::map<std::string, std::string>& form);
    std::pair<int, std::string> CaptureCharge(const std::string& id);
    static std::string ChargeJson(const std::string& id, const Charge& charge);

    const std::string api_key_;
    mutable std::mutex mu_;
    std::condition_variable released_;
    std::uint64_t release_generation_ = 0;
    bool stopping_ = false;
    int fail_next_ = 0;
    Outage outage_ = Outage::kNone;
    int hang_next_ = 0;
    std::vector<Call> calls_;
    std::map<std::string, Stored> by_key_;
    std::map<std::string, Charge> charges_;
    std::size_t refunds_created_ = 0;
    std::size_t captures_made_ = 0;
    std::uint64_t next_id_ = 0;
    std::unique_ptr<metrics::Registry> registry_;
    std::unique_ptr<http::Server> server_;  // last: its handlers use everything above
};

}  // namespace ticketing::test

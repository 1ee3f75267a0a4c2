// The payments service over real HTTP with a real nats-server and both databases: its routes in
// the contract's order of checks, exactly one authorisation per order under concurrency, the
// hold released for orders cancelled during or after the authorisation and captured once for
// orders completed, and its order replica fed from the stream. The card network is the sandbox
// gateway, wrapped to count calls and to hold authorisations on demand.
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/auth/session.hpp"
#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/session_keys.hpp"
#include "common/testing/stream_reader.hpp"
#include "common/util/ids.hpp"

#include "assembly.hpp"
#include "domain/payment_service.hpp"
#include "gateway/sandbox_gateway.hpp"
#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_payments_unit_of_work.hpp"

namespace ticketing::payments {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::HttpClient;

constexpr const char* kBuyer = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";

// The sandbox gateway, counting calls, with a switch that holds every authorisation until the
// test lets it go (to cancel an order while its authorisation is in flight).
class HoldingGateway final : public PaymentGateway {
public:
    ChargeResult Authorize(util::Cents amount,
                           std::string_view currency,
                           std::string_view source,
                           std::string_view key) override {
        {
            std::unique_lock lock(mu_);
            amounts_.push_back(amount);
            ++held_;
            changed_.notify_all();
            changed_.wait(lock, [&] { return !hold_; });
        }
        return sandbox_.Authorize(amount, currency, source, key);
    }

    void Capture(std::string_view charge_id, std::string_view key) override {
        {
            std::lock_guard lock(mu_);
            ++captures_;
        }
        sandbox_.Capture(charge_id, key);
    }

    ReleaseResult Release(std::string_view charge_id, std::string_view key) override {
        {
            std::lock_guard lock(mu_);
            ++refunds_;
        }
        return sandbox_.Release(charge_id, key);
    }

    void Hold() {
        std::lock_guard lock(mu_);
        hold_ = true;
    }
    void LetGo() {
        {
            std::lock_guard lock(mu_);
            hold_ = false;
        }
        changed_.notify_all();
    }
    bool WaitForCharges(std::size_t n, std::chrono::milliseconds deadline) {
        std::unique_lock lock(mu_);
        return changed_.wait_for(lock, deadline, [&] { return held_ >= n; });
    }
    std::vector<util::Cents> ChargeAmounts() {
        std::lock_guard lock(mu_);
        return amounts_;
    }
    std::size_t Releases() {
        std::lock_guard lock(mu_);
        return refunds_;
    }
    std::size_t Captures() {
        std::lock_guard lock(mu_);
        return captures_;
    }

private:
    SandboxGateway sandbox_;
    std::mutex mu_;
    std::condition_variable changed_;
    bool hold_ = false;
    std::size_t held_ = 0;  // charges that reached this gateway
    std::size_t refunds_ = 0;
    std::size_t captures_ = 0;
    std::vector<util::Cents> amounts_;
};

class PaymentsApiTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        builder_ = std::make_unique<service::ServiceBuilder>(
            test::EmbeddedServiceConfig(
                "payments", nats_.Url(), test::TestDatabaseUrl(GetParam(), dir_, "payments")),
            "payments-service",
            service::ServiceBuilder::Mode::kEmbedded);
        builder_->UseClock(clock_);
        service_ = &Assemble(*builder_, gateway_, {});
        builder_->Start();
        db_ = &builder_->db();
        publisher_ = &builder_->publisher();
        session_ = test::TestSessionSettings(clock_);
        base_ = "http://127.0.0.1:" + std::to_string(builder_->port());
        client_ = std::make_unique<HttpClient>(base_);
    }

    // Stops the service in the builder's order (HTTP, subscriptions, relay), then frees it.
    void TearDown() override {
        gateway_.LetGo();
        builder_.reset();
    }

    test::Headers As(const std::string& user_id) { return test::SessionCookie(user_id, session_); }

    template <class E>
    void Publish(const E& e) {
        ASSERT_TRUE(
            publisher_->Publish(bus::MakeEnvelope(e, bus::NewEventId(), {"", clock_.Now()})));
    }

    std::optional<OrderReplica> Replica(const std::string& id) {
        return db_->WithSession(
            [&](soci::session& s) { return SqlOrderReplicaRepository(s).Find(id); });
    }

    std::optional<Payment> StoredPayment(const std::string& order_id) {
        return db_->WithSession(
            [&](soci::session& s) { return SqlPaymentRepository(s).FindOfOrder(order_id); });
    }

    // An order known to the payments service (its order:created went through the stream).
    std::string KnownOrder(util::Cents price = 2000, const std::string& user = kBuyer) {
        std::string id = ids_.NewId();
        Publish(events::OrderCreated{
            id, 0, OrderStatus::kCreated, user, clock_.Now() + 15min, {ids_.NewId(), price}});
        EXPECT_TRUE(test::WaitUntil([&] { return Replica(id).has_value(); }, 10s));
        return id;
    }

    void CancelOrder(const std::string& id, std::int64_t version = 1) {
        Publish(events::OrderCancelled{id, version, {"5f1a2b3c4d5e6f7a8b9c0d00"}});
    }

    test::HttpResult Pay(const std::string& order_id,
                         const std::string& token = "tok_visa",
                         const std::string& user = kBuyer) {
        return client_->Post(
            "/api/payments", json{{"token", token}, {"orderId", order_id}}.dump(), As(user));
    }

    std::vector<test::StoredMessage> Stream(const std::string& subject) {
        return test::ReadSubject(nats_.Url(), "TICKETING", subject);
    }

    // payment:created events in the stream once the outbox is empty.
    std::vector<events::PaymentCreated> PaymentsPublished() {
        EXPECT_TRUE(test::WaitUntil([&] { return bus::Outbox::Backlog(*db_) == 0; }, 10s));
        std::vector<events::PaymentCreated> out;
        for (const auto& m : Stream("payment:created")) {
            out.push_back(events::Decode<events::PaymentCreated>(m.payload));
        }
        return out;
    }

    bool ConsumerDrained(const std::string& consumer) {
        return test::WaitUntil(
            [&] { return test::ConsumerBacklog(nats_.Url(), "TICKETING", consumer) == 0; }, 10s);
    }

    static std::string Message(const test::HttpResult& r) {
        return r.Json()["errors"][0]["message"].get<std::string>();
    }

    test::TempDir dir_;
    test::NatsServer nats_;
    HoldingGateway gateway_;  // before the builder: the service uses it until it stops
    util::SystemClock clock_;
    util::ObjectIdGenerator ids_{clock_};
    std::unique_ptr<service::ServiceBuilder> builder_;  // the service as its main builds it
    db::Database* db_ = nullptr;
    bus::EventPublisher* publisher_ = nullptr;
    PaymentService* service_ = nullptr;
    auth::SessionSettings session_;
    std::string base_;
    std::unique_ptr<HttpClient> client_;
};

TEST_P(PaymentsApiTest, PayNeedsASignedInUser) {
    auto r = client_->Post("/api/payments", R"({"token":"tok_visa","orderId":"x"})");
    EXPECT_EQ(r.status, 401);
}

TEST_P(PaymentsApiTest, PayRequiresTokenAndOrderId) {
    auto r = client_->Post("/api/payments", "{}", As(kBuyer));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json(), json::parse(R"({"errors":[
        {"message":"Token is required","field":"token"},
        {"message":"OrderId is required","field":"orderId"}]})"));
}

TEST_P(PaymentsApiTest, PayRefusesATokenOver255Characters) {
    auto order = KnownOrder();
    auto r = Pay(order, std::string(256, 't'));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json(), json::parse(R"({"errors":[
        {"message":"Token must be at most 255 characters","field":"token"}]})"));
    EXPECT_EQ(Pay(order, std::string(100 * 1024, 't')).status, 400);
}

TEST_P(PaymentsApiTest, PayForAnUnknownOrderIs404) {
    EXPECT_EQ(Pay("5f1a2b3c4d5e6f7a8b9c0dff").status, 404);
    EXPECT_EQ(Pay("garbage").status, 404);
}

TEST_P(PaymentsApiTest, PayForAnotherUsersOrderIs401) {
    auto order = KnownOrder();
    EXPECT_EQ(Pay(order, "tok_visa", kOther).status, 401);
    EXPECT_TRUE(gateway_.ChargeAmounts().empty());
}

TEST_P(PaymentsApiTest, PayForACancelledOrderIs400) {
    auto order = KnownOrder();
    CancelOrder(order);
    ASSERT_TRUE(
        test::WaitUntil([&] { return Replica(order)->status == OrderStatus::kCancelled; }, 10s));
    auto r = Pay(order);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Message(r), "Cannot pay for a cancelled order");
}

TEST_P(PaymentsApiTest, PayWithTokVisaIs201StoresTheChargeAndPublishesPaymentCreated) {
    auto order = KnownOrder(1999);
    auto r = Pay(order);
    ASSERT_EQ(r.status, 201) << r.body;
    json body = r.Json();
    EXPECT_EQ(body["orderId"], order);
    std::string stripe_id = body["stripeId"];
    EXPECT_TRUE(stripe_id.starts_with("ch_")) << stripe_id;
    EXPECT_EQ(gateway_.ChargeAmounts(), std::vector<util::Cents>{1999});
    auto stored = StoredPayment(order);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->id, body["id"]);
    EXPECT_EQ(stored->stripe_id, stripe_id);
    auto published = PaymentsPublished();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0], (events::PaymentCreated{body["id"], order, stripe_id}));
    auto again = Pay(order);
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(Message(again), "Order has already been paid");
}

TEST_P(PaymentsApiTest, DeclinedCardIs402ThenAGoodCardPays) {
    auto order = KnownOrder();
    auto declined = Pay(order, "tok_chargeDeclined");
    EXPECT_EQ(declined.status, 402);
    EXPECT_EQ(declined.Json(),
              json::parse(R"({"errors":[{"message":"Your card was declined."}]})"));
    auto invalid = Pay(order, "tok_bogus");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(Message(invalid), "Invalid token");
    EXPECT_EQ(Pay(order, "tok_mastercard").status, 201);
    EXPECT_EQ(PaymentsPublished().size(), 1u);
}

TEST_P(PaymentsApiTest, TenConcurrentSubmitsGiveOne201AndOneCharge) {
    auto order = KnownOrder();
    std::vector<std::future<test::HttpResult>> results;
    for (int i = 0; i < 10; ++i) {
        results.push_back(std::async(std::launch::async, [&] {
            HttpClient c(base_);
            return c.Post("/api/payments",
                          json{{"token", "tok_visa"}, {"orderId", order}}.dump(),
                          As(kBuyer));
        }));
    }
    std::multiset<long> statuses;
    for (auto& f : results) {
        auto r = f.get();
        statuses.insert(r.status);
        if (r.status == 400) {
            EXPECT_TRUE(Message(r) == "A payment for this order is in progress" ||
                        Message(r) == "Order has already been paid")
                << r.body;
        }
    }
    EXPECT_EQ(statuses.count(201), 1u);
    EXPECT_EQ(statuses.count(400), 9u);
    EXPECT_EQ(gateway_.ChargeAmounts().size(), 1u);
    EXPECT_EQ(PaymentsPublished().size(), 1u);
}

TEST_P(PaymentsApiTest, OrderCancelledDuringTheAuthorisationIsReleasedAnd400) {
    auto order = KnownOrder();
    gateway_.Hold();
    auto pending = std::async(std::launch::async, [&] {
        HttpClient c(base_);
        return c.Post(
            "/api/payments", json{{"token", "tok_visa"}, {"orderId", order}}.dump(), As(kBuyer));
    });
    ASSERT_TRUE(gateway_.WaitForCharges(1, 10s));
    CancelOrder(order);
    ASSERT_TRUE(
        test::WaitUntil([&] { return Replica(order)->status == OrderStatus::kCancelled; }, 10s));
    ASSERT_TRUE(ConsumerDrained("payments-service-order-cancelled"));
    gateway_.LetGo();
    auto r = pending.get();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Message(r), "Cannot pay for a cancelled order");
    auto stored = StoredPayment(order);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->status, PaymentStatus::kReleased);
    ASSERT_TRUE(stored->refund_id.has_value());
    EXPECT_TRUE(stored->refund_id->starts_with("re_")) << *stored->refund_id;
    EXPECT_EQ(gateway_.Releases(), 1u);
    EXPECT_EQ(gateway_.Captures(), 0u);
    EXPECT_TRUE(PaymentsPublished().empty());
}

TEST_P(PaymentsApiTest, OrderCancelledForAPaidOrderReleasesOnceAlsoWhenSentAgain) {
    auto order = KnownOrder();
    ASSERT_EQ(Pay(order).status, 201);
    CancelOrder(order);
    ASSERT_TRUE(test::WaitUntil([&] { return StoredPayment(order)->refund_id.has_value(); }, 10s));
    auto refund_id = *StoredPayment(order)->refund_id;
    CancelOrder(order);  // the same event again, under a new event id: only the version guards
    ASSERT_TRUE(ConsumerDrained("payments-service-order-cancelled"));
    EXPECT_EQ(gateway_.Releases(), 1u);
    EXPECT_EQ(gateway_.Captures(), 0u);
    EXPECT_EQ(StoredPayment(order)->refund_id, refund_id);
    EXPECT_EQ(StoredPayment(order)->status, PaymentStatus::kReleased);
}

TEST_P(PaymentsApiTest, ConfigTellsTheStorefrontWhichGatewayWithoutASession) {
    auto r = client_->Get("/api/payments/config");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json(), (json{{"gateway", "sandbox"}}));
    // A Stripe deployment gives Stripe.js its publishable key; a key without stripe is not shown.
    http::Router router = BuildRouter(*service_, session_, {"stripe", "pk_test_123"});
    auto match = router.Find(http::Method::kGet, "/api/payments/config");
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->route->pattern, "/api/payments/config");
    auto sandbox = BuildRouter(*service_, session_, {"sandbox", "pk_test_123"});
    EXPECT_EQ(sandbox.Find(http::Method::kGet, "/api/payments/abc")->route->pattern,
              "/api/payments/:id");
}

TEST_P(PaymentsApiTest, ShowPaymentFollowsTheHoldToItsCapture) {
    auto order = KnownOrder(1999);
    auto paid = Pay(order);
    ASSERT_EQ(paid.status, 201) << paid.body;
    const std::string id = paid.Json()["id"];
    auto path = "/api/payments/" + id;
    // 401 without a session, 404 for an unknown or malformed id, 401 for another user.
    EXPECT_EQ(client_->Get(path).status, 401);
    EXPECT_EQ(client_->Get("/api/payments/" + ids_.NewId(), As(kBuyer)).status, 404);
    EXPECT_EQ(client_->Get("/api/payments/not-an-id", As(kBuyer)).status, 404);
    auto other = client_->Get(path, As(kOther));
    EXPECT_EQ(other.status, 401);
    EXPECT_EQ(Message(other), "Not authorized");
    auto shown = client_->Get(path, As(kBuyer));
    ASSERT_EQ(shown.status, 200) << shown.body;
    EXPECT_EQ(shown.Json(),
              (json{{"id", id},
                    {"orderId", order},
                    {"stripeId", paid.Json()["stripeId"]},
                    {"status", "authorized"},
                    {"amount", 1999}}));
    Publish(events::OrderCompleted{order, 1, {"5f1a2b3c4d5e6f7a8b9c0d00"}});
    ASSERT_TRUE(test::WaitUntil(
        [&] { return client_->Get(path, As(kBuyer)).Json()["status"] == "captured"; }, 10s));
    Publish(events::OrderCompleted{order, 1, {"5f1a2b3c4d5e6f7a8b9c0d00"}});  // again
    ASSERT_TRUE(ConsumerDrained("payments-service-order-completed"));
    EXPECT_EQ(gateway_.Captures(), 1u);
    EXPECT_EQ(gateway_.Releases(), 0u);
}

TEST_P(PaymentsApiTest, ReplicaWaitsForASkippedVersionAndThenConverges) {
    auto order = KnownOrder();
    auto marker = KnownOrder();
    CancelOrder(order, 2);  // version 1 has not arrived
    // One consumer takes order:cancelled in stream order: once the marker is cancelled, the
    // cancellation above has been handled, and it must have waited.
    CancelOrder(marker, 1);
    ASSERT_TRUE(
        test::WaitUntil([&] { return Replica(marker)->status == OrderStatus::kCancelled; }, 10s));
    EXPECT_EQ(Replica(order)->version, 0);
    EXPECT_EQ(Replica(order)->status, OrderStatus::kCreated);
    Publish(events::OrderCompleted{order, 1, {"5f1a2b3c4d5e6f7a8b9c0d00"}});
    ASSERT_TRUE(test::WaitUntil([&] { return Replica(order)->version == 2; }, 15s));
    EXPECT_EQ(Replica(order)->status, OrderStatus::kCancelled);
}

INSTANTIATE_TEST_SUITE_P(Backends,
                         PaymentsApiTest,
                         ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ticketing::payments

// PaymentService and the listeners on the payments service's storage in memory
// (common/testing/payments), with FakeGateway as the card network: paying exactly once, the
// order replica's version rule, captures and releases, and the recovery pass; the events they
// commit, in commit order. No file, no thread. The SQL behind the same ports is tested in
// tests/integration/payments (the storage contract and the API over both databases).
#include <sstream>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/log/log.hpp"
#include "common/testing/domain_errors.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/payments/fake_gateway.hpp"
#include "common/testing/payments/in_memory_payments.hpp"

#include "domain/payment_service.hpp"
#include "listeners/listeners.hpp"

namespace ticketing::payments {
namespace {

using namespace std::chrono_literals;
using bus::AckDecision;
using test::FakeGateway;
using test::DomainErrorOf;

constexpr const char* kOrder = "5f1a2b3c4d5e6f7a8b9c0d01";
constexpr const char* kUnknownOrder = "5f1a2b3c4d5e6f7a8b9c0dff";
constexpr const char* kTicket = "5f1a2b3c4d5e6f7a8b9c0e01";
constexpr const char* kBuyer = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";

class PaymentsDomainTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Into memory: the default stderr writer would start its thread.
        static std::ostringstream log_lines;
        log::InitForTest("test", log::Level::kError, log_lines);
        Build({});
        Deliver(events::OrderCreated{
            kOrder, 0, OrderStatus::kCreated, kBuyer, clock_.Now() + 15min, {kTicket, 2000}});
    }

    // A service with `options` and listeners on it, subscribed on a bus of their own, over the
    // same storage and gateway.
    void Build(PaymentServiceOptions options) {
        service_ = std::make_unique<PaymentService>(
            storage_.transactions, gateway_, clock_, ids_, std::move(options));
        listeners_ = std::make_unique<Listeners>(ListenerContext{storage_.transactions, *service_});
        bus_ = std::make_unique<test::FakeBus>();
        listeners_->SubscribeAll(*bus_);
    }

    template <class E>
    AckDecision Deliver(const E& e, std::string event_id = "") {
        bus::MessageMeta meta;
        meta.consumer = "payments-service-test";
        meta.event_id = event_id.empty() ? bus::NewEventId() : std::move(event_id);
        return bus_->Deliver(e, meta).decision;
    }

    AckDecision Cancel(std::string event_id = "") {
        return Deliver(events::OrderCancelled{kOrder, 1, {kTicket}}, std::move(event_id));
    }

    // Everything committed to the outbox, in commit order.
    template <class E>
    std::vector<E> Published() {
        return storage_.transactions.Published<E>();
    }

    Payment Pay(const std::string& token = "tok_visa") {
        return service_->Pay(kBuyer, kOrder, token, "");
    }

    OrderReplica Replica(const std::string& id = kOrder) {
        return storage_.orders.Find(id).value();
    }

    std::optional<Payment> StoredPayment() { return storage_.payments.FindOfOrder(kOrder); }

    int AttemptsWithStatus(AttemptStatus status) {
        int n = 0;
        for (const auto& a : storage_.attempts.All()) {
            n += a.status == status ? 1 : 0;
        }
        return n;
    }

    // The replica's order `id` completes (or is cancelled) without its event: as after a replay,
    // or an event handled while the gateway was down and acked elsewhere.
    void SettleReplica(const std::string& id, OrderStatus status) {
        storage_.transactions.Run(
            [&](PaymentsUnitOfWork& uow) { uow.orders().UpdateFromPrevious(id, status, 1); });
    }

    test::FakeClock clock_;
    util::ObjectIdGenerator ids_{clock_};
    FakeGateway gateway_;
    test::InMemoryPayments storage_;
    std::unique_ptr<PaymentService> service_;
    std::unique_ptr<Listeners> listeners_;
    std::unique_ptr<test::FakeBus> bus_;  // delivers the order events to the listeners
};

// ---- paying ----

TEST_F(PaymentsDomainTest, PayAuthorisesThePriceAndPublishesPaymentCreated) {
    Payment p = service_->Pay(kBuyer, kOrder, "tok_visa", "tp");
    auto calls = gateway_.ChargeCalls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].amount, 2000);
    EXPECT_EQ(calls[0].currency, "usd");
    EXPECT_EQ(calls[0].source, "tok_visa");
    EXPECT_EQ(calls[0].idempotency_key, "pay-" + std::string(kOrder) + "-" + p.attempt_id);
    EXPECT_EQ(p.order_id, kOrder);
    EXPECT_EQ(p.stripe_id, "ch_fake1");
    ASSERT_TRUE(StoredPayment().has_value());
    EXPECT_EQ(StoredPayment()->id, p.id);
    EXPECT_EQ(StoredPayment()->stripe_id, "ch_fake1");
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kAuthorized);  // nothing taken yet
    EXPECT_EQ(StoredPayment()->amount, 2000);
    EXPECT_TRUE(gateway_.CaptureCalls().empty());
    EXPECT_EQ(AttemptsWithStatus(AttemptStatus::kSucceeded), 1);
    auto published = Published<events::PaymentCreated>();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0], (events::PaymentCreated{p.id, kOrder, "ch_fake1"}));
    EXPECT_EQ(storage_.transactions.Envelopes()[0].traceparent, "tp");
}

TEST_F(PaymentsDomainTest, PayForUnknownOrMalformedOrdersIs404) {
    EXPECT_EQ(DomainErrorOf([&] { service_->Pay(kBuyer, kUnknownOrder, "tok_visa", ""); }),
              "not found");
    EXPECT_EQ(DomainErrorOf([&] { service_->Pay(kBuyer, "not-an-id", "tok_visa", ""); }),
              "not found");
    EXPECT_TRUE(gateway_.ChargeCalls().empty());
}

TEST_F(PaymentsDomainTest, PayForAnotherUsersOrderIs401) {
    EXPECT_EQ(DomainErrorOf([&] { service_->Pay(kOther, kOrder, "tok_visa", ""); }), "not owner");
    EXPECT_TRUE(gateway_.ChargeCalls().empty());
}

TEST_F(PaymentsDomainTest, PayForACancelledOrderIs400) {
    Cancel();
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: Cannot pay for a cancelled order");
    EXPECT_TRUE(gateway_.ChargeCalls().empty());
}

TEST_F(PaymentsDomainTest, PayForACompletedOrderIsAlreadyPaid) {
    Deliver(events::OrderCompleted{kOrder, 1, {kTicket}});
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: Order has already been paid");
}

TEST_F(PaymentsDomainTest, PayingTwiceChargesOnce) {
    Pay();
    EXPECT_EQ(DomainErrorOf([&] { Pay("tok_mastercard"); }), "rule: Order has already been paid");
    EXPECT_EQ(gateway_.ChargeCalls().size(), 1u);
    EXPECT_EQ(gateway_.ChargesMade(), 1u);
}

TEST_F(PaymentsDomainTest, PayWhileAnotherPaymentIsPendingIsRefused) {
    std::string second;
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        second = DomainErrorOf([&] { Pay("tok_mastercard"); });
    });
    Payment first = Pay();
    EXPECT_EQ(second, "rule: A payment for this order is in progress");
    EXPECT_EQ(first.stripe_id, "ch_fake1");
    EXPECT_EQ(gateway_.ChargeCalls().size(), 1u);
}

TEST_F(PaymentsDomainTest, DeclinedCardIs402AndAnotherCardMayBeTried) {
    EXPECT_EQ(DomainErrorOf([&] { Pay("tok_chargeDeclined"); }),
              "declined: Your card was declined.");
    EXPECT_EQ(AttemptsWithStatus(AttemptStatus::kFailed), 1);
    EXPECT_TRUE(Published<events::PaymentCreated>().empty());
    Payment p = Pay("tok_visa");
    auto calls = gateway_.ChargeCalls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_NE(calls[0].idempotency_key, calls[1].idempotency_key);
    EXPECT_EQ(Published<events::PaymentCreated>().size(), 1u);
    EXPECT_EQ(StoredPayment()->id, p.id);
}

TEST_F(PaymentsDomainTest, InvalidTokenIs400AndFreesTheOrder) {
    EXPECT_EQ(DomainErrorOf([&] { Pay("garbage"); }), "rule: Invalid token");
    EXPECT_EQ(Pay("tok_visa").stripe_id, "ch_fake1");
}

TEST_F(PaymentsDomainTest, GatewayUnavailableIs503AndTheRetryResumesTheSameAttempt) {
    gateway_.FailNextCharge(GatewayError::Kind::kUnavailable);
    EXPECT_EQ(DomainErrorOf([&] { Pay("tok_visa"); }),
              "unavailable: Payment gateway unavailable, please retry");
    EXPECT_EQ(AttemptsWithStatus(AttemptStatus::kPending), 1);
    // The retry resends the first attempt as it was (key and card), so a charge made before the
    // failure would be found, not repeated.
    Payment p = Pay("tok_mastercard");
    auto calls = gateway_.ChargeCalls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].idempotency_key, calls[0].idempotency_key);
    EXPECT_EQ(calls[1].source, "tok_visa");
    EXPECT_EQ(p.stripe_id, "ch_fake1");
    EXPECT_EQ(gateway_.ChargesMade(), 1u);
}

TEST_F(PaymentsDomainTest, LostChargeAnswerIsNotChargedTwice) {
    gateway_.LoseNextChargeAnswer();
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }),
              "unavailable: Payment gateway unavailable, please retry");
    Payment p = Pay();
    EXPECT_EQ(p.stripe_id, "ch_fake1");
    EXPECT_EQ(gateway_.ChargesMade(), 1u);
    EXPECT_EQ(Published<events::PaymentCreated>().size(), 1u);
}

TEST_F(PaymentsDomainTest, OrderCancelledDuringTheAuthorisationIsReleasedAnd400) {
    // The cancel-then-pay race: the hold is released and nothing is captured.
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        EXPECT_EQ(Cancel(), AckDecision::kAck);
    });
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: Cannot pay for a cancelled order");
    auto payment = StoredPayment();
    ASSERT_TRUE(payment.has_value());
    EXPECT_EQ(payment->stripe_id, "ch_fake1");
    EXPECT_EQ(payment->status, PaymentStatus::kReleased);
    EXPECT_EQ(payment->refund_id, "re_fake1");
    auto releases = gateway_.ReleaseCalls();
    ASSERT_EQ(releases.size(), 1u);
    EXPECT_EQ(releases[0].charge_id, "ch_fake1");
    EXPECT_EQ(releases[0].idempotency_key, "release-" + payment->id);
    EXPECT_TRUE(gateway_.CaptureCalls().empty());
    EXPECT_TRUE(Published<events::PaymentCreated>().empty());
}

TEST_F(PaymentsDomainTest, ReleaseThatFailedDuringTheRaceIsMadeByRecover) {
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        Cancel();
    });
    gateway_.FailNextRelease(GatewayError::Kind::kUnavailable);
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: Cannot pay for a cancelled order");
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kAuthorized);
    RecoveryReport report = service_->Recover();
    EXPECT_EQ(report.settlements_made, 1u);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kReleased);
    EXPECT_EQ(StoredPayment()->refund_id, "re_fake1");
    EXPECT_EQ(gateway_.ReleasesMade(), 1u);
    EXPECT_EQ(gateway_.CapturesMade(), 0u);
}

TEST_F(PaymentsDomainTest, AbandonedAttemptIsResumedByRecoverOnceItsLeaseEnds) {
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        throw std::runtime_error("process died");
    });
    EXPECT_THROW(Pay(), std::runtime_error);
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: A payment for this order is in progress");
    EXPECT_EQ(service_->Recover().attempts_settled, 0u);  // the lease still runs
    clock_.Advance(3min);
    EXPECT_EQ(service_->Recover().attempts_settled, 1u);
    auto calls = gateway_.ChargeCalls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].idempotency_key, calls[0].idempotency_key);
    ASSERT_TRUE(StoredPayment().has_value());
    EXPECT_EQ(Published<events::PaymentCreated>().size(), 1u);
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: Order has already been paid");
}

TEST_F(PaymentsDomainTest, AuthorisationWhoseRecordFailsIsRecordedByRecoverWithoutASecondCharge) {
    // The database fails after the gateway authorised: the attempt stays pending with its key,
    // and resuming it after its lease finds the same authorisation.
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        storage_.transactions.FailNextCommit();
    });
    EXPECT_THROW(Pay(), db::UnavailableError);
    EXPECT_FALSE(StoredPayment().has_value());
    EXPECT_EQ(AttemptsWithStatus(AttemptStatus::kPending), 1);
    EXPECT_TRUE(Published<events::PaymentCreated>().empty());
    clock_.Advance(3min);
    EXPECT_EQ(service_->Recover().attempts_settled, 1u);
    ASSERT_TRUE(StoredPayment().has_value());
    EXPECT_EQ(StoredPayment()->stripe_id, "ch_fake1");
    EXPECT_EQ(gateway_.ChargesMade(), 1u);
    EXPECT_EQ(Published<events::PaymentCreated>().size(), 1u);
}

TEST_F(PaymentsDomainTest, AttemptOlderThanTheResumeWindowIsLeftForReconciliation) {
    gateway_.OnCharge([&] {
        gateway_.OnCharge(nullptr);
        throw std::runtime_error("process died");
    });
    EXPECT_THROW(Pay(), std::runtime_error);
    clock_.Advance(24h);  // the gateway has forgotten the key: resending it could charge twice
    EXPECT_EQ(service_->Recover().attempts_settled, 0u);
    EXPECT_EQ(DomainErrorOf([&] { Pay(); }), "rule: A payment for this order is in progress");
    EXPECT_EQ(gateway_.ChargeCalls().size(), 1u);
    EXPECT_EQ(AttemptsWithStatus(AttemptStatus::kPending), 1);
}

// ---- order replica ----

TEST_F(PaymentsDomainTest, OrderCreatedTwiceKeepsOneReplica) {
    EXPECT_EQ(Deliver(events::OrderCreated{
                  kOrder, 0, OrderStatus::kCreated, kOther, clock_.Now(), {kTicket, 1}}),
              AckDecision::kAck);
    OrderReplica o = Replica();
    EXPECT_EQ(o.user_id, kBuyer);
    EXPECT_EQ(o.price, 2000);
}

// order:created is consumed in batches (what is queued together, one transaction): every order
// of the batch gets its replica, and one already there (a redelivery) changes nothing.
TEST_F(PaymentsDomainTest, AnOrderCreatedBatchAddsEachReplicaAndKeepsOneAlreadyThere) {
    const std::string second = "5f1a2b3c4d5e6f7a8b9c0d02";
    const std::string third = "5f1a2b3c4d5e6f7a8b9c0d03";
    std::vector<events::OrderCreated> batch{
        {second, 0, OrderStatus::kCreated, kOther, clock_.Now(), {kTicket, 300}},
        {kOrder, 0, OrderStatus::kCreated, kOther, clock_.Now(), {kTicket, 1}},
        {third, 0, OrderStatus::kCreated, kBuyer, clock_.Now(), {kTicket, 400}}};
    std::vector<bus::MessageMeta> metas(batch.size());
    for (auto& m : metas) {
        m.consumer = "payments-service-test";
        m.event_id = bus::NewEventId();
    }
    EXPECT_EQ(listeners_->order_created.HandleBatch(batch, metas),
              std::vector<AckDecision>(3, AckDecision::kAck));
    EXPECT_EQ(Replica(second).price, 300);
    EXPECT_EQ(Replica(second).user_id, kOther);
    EXPECT_EQ(Replica(third).price, 400);
    EXPECT_EQ(Replica().user_id, kBuyer);  // the first order:created's replica stays
    EXPECT_EQ(Replica().price, 2000);
}

TEST_F(PaymentsDomainTest, OrderCancelledAppliesTheNextVersionAndReleasesNothingUnpaid) {
    EXPECT_EQ(Cancel(), AckDecision::kAck);
    EXPECT_EQ(Replica().status, OrderStatus::kCancelled);
    EXPECT_EQ(Replica().version, 1);
    EXPECT_TRUE(gateway_.ReleaseCalls().empty());
}

TEST_F(PaymentsDomainTest, OrderCompletedAppliesTheNextVersionAndCapturesNothingUnpaid) {
    EXPECT_EQ(Deliver(events::OrderCompleted{kOrder, 1, {kTicket}}), AckDecision::kAck);
    EXPECT_EQ(Replica().status, OrderStatus::kComplete);
    EXPECT_EQ(Replica().version, 1);
    EXPECT_TRUE(gateway_.CaptureCalls().empty());
}

TEST_F(PaymentsDomainTest, ReplicaConvergesWhenVersionTwoArrivesFirst) {
    // The rule is about versions, whatever the statuses say.
    events::OrderCompleted v1{kOrder, 1, {kTicket}};
    events::OrderCancelled v2{kOrder, 2, {kTicket}};
    EXPECT_EQ(Deliver(v2, "v2"), AckDecision::kRetry);
    EXPECT_EQ(Replica().version, 0);
    EXPECT_EQ(Deliver(v1, "v1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(v2, "v2"), AckDecision::kAck);  // the redelivery now applies
    EXPECT_EQ(Replica().status, OrderStatus::kCancelled);
    EXPECT_EQ(Deliver(v1, "v1-again"), AckDecision::kAck);  // an old version: duplicate
    EXPECT_EQ(Replica().version, 2);
}

TEST_F(PaymentsDomainTest, OrderCancelledBeforeOrderCreatedIsRetried) {
    events::OrderCancelled cancelled{kUnknownOrder, 1, {kTicket}};
    EXPECT_EQ(Deliver(cancelled, "c"), AckDecision::kRetry);
    Deliver(events::OrderCreated{
        kUnknownOrder, 0, OrderStatus::kCreated, kBuyer, clock_.Now(), {kTicket, 500}});
    EXPECT_EQ(Deliver(cancelled, "c"), AckDecision::kAck);
    EXPECT_EQ(Replica(kUnknownOrder).status, OrderStatus::kCancelled);
}

// ---- capture and release after payment ----

TEST_F(PaymentsDomainTest, OrderCompletedCapturesOnceAlsoWhenRedelivered) {
    Payment p = Pay();
    events::OrderCompleted completed{kOrder, 1, {kTicket}};
    EXPECT_EQ(Deliver(completed, "k1"), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kCaptured);
    EXPECT_EQ(Deliver(completed, "k1"), AckDecision::kAck);        // redelivered
    EXPECT_EQ(Deliver(completed, "k1-again"), AckDecision::kAck);  // published again
    auto captures = gateway_.CaptureCalls();
    ASSERT_EQ(captures.size(), 1u);
    EXPECT_EQ(captures[0].charge_id, p.stripe_id);
    EXPECT_EQ(captures[0].idempotency_key, "capture-" + p.id);
    EXPECT_EQ(gateway_.CapturesMade(), 1u);
    EXPECT_TRUE(gateway_.ReleaseCalls().empty());
    EXPECT_EQ(service_->Find(kBuyer, p.id).status, PaymentStatus::kCaptured);
}

TEST_F(PaymentsDomainTest, OrderCompletedIsATransientFailureWhileTheGatewayCannotCapture) {
    Pay();
    gateway_.FailNextCapture(GatewayError::Kind::kUnavailable);
    EXPECT_EQ(service_->SettleOrder(kOrder), std::nullopt);  // the order is not complete yet
    events::OrderCompleted completed{kOrder, 1, {kTicket}};
    EXPECT_EQ(Deliver(completed, "k1"), AckDecision::kRetry);  // thrown: transient
    EXPECT_EQ(Replica().status, OrderStatus::kComplete);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kAuthorized);
    EXPECT_EQ(Deliver(completed, "k1"), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kCaptured);
    EXPECT_EQ(gateway_.CapturesMade(), 1u);
}

TEST_F(PaymentsDomainTest, CaptureRefusedForGoodIsRecordedFailedCountedAndAcked) {
    std::vector<Settlement> failed;
    PaymentServiceOptions options;
    options.on_settlement_failed = [&](Settlement s) { failed.push_back(s); };
    Build(options);
    Pay();
    gateway_.FailNextCapture(GatewayError::Kind::kInvalid, "This charge has expired");
    EXPECT_EQ(Deliver(events::OrderCompleted{kOrder, 1, {kTicket}}, "k1"), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kFailed);
    EXPECT_EQ(StoredPayment()->failure, "This charge has expired");
    EXPECT_EQ(failed, std::vector<Settlement>{Settlement::kCapture});
    EXPECT_EQ(storage_.payments.CountFailedSettlements(), 1u);
    EXPECT_EQ(service_->Recover().settlements_made, 0u);  // failed is final: nothing due
}

TEST_F(PaymentsDomainTest, OrderCancelledAfterPaymentReleasesOnceAlsoWhenRedelivered) {
    Payment p = Pay();
    EXPECT_EQ(Cancel("c1"), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kReleased);
    EXPECT_EQ(StoredPayment()->refund_id, "re_fake1");
    EXPECT_EQ(Cancel("c1"), AckDecision::kAck);        // redelivered
    EXPECT_EQ(Cancel("c1-again"), AckDecision::kAck);  // published again
    auto releases = gateway_.ReleaseCalls();
    ASSERT_EQ(releases.size(), 1u);
    EXPECT_EQ(releases[0].charge_id, p.stripe_id);
    EXPECT_EQ(releases[0].idempotency_key, "release-" + p.id);
    EXPECT_TRUE(gateway_.CaptureCalls().empty());
}

TEST_F(PaymentsDomainTest, OrderCancelledIsATransientFailureWhileTheGatewayCannotRelease) {
    Pay();
    gateway_.FailNextRelease(GatewayError::Kind::kUnavailable);
    EXPECT_EQ(Cancel("c1"), AckDecision::kRetry);
    EXPECT_EQ(Replica().status, OrderStatus::kCancelled);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kAuthorized);
    EXPECT_EQ(Cancel("c1"), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->refund_id, "re_fake1");
    EXPECT_EQ(gateway_.ReleasesMade(), 1u);
}

TEST_F(PaymentsDomainTest, LostReleaseAnswerIsNotReleasedTwice) {
    Pay();
    gateway_.LoseNextReleaseAnswer();
    EXPECT_EQ(Cancel("c1"), AckDecision::kRetry);
    EXPECT_EQ(Cancel("c1"), AckDecision::kAck);
    auto releases = gateway_.ReleaseCalls();
    ASSERT_EQ(releases.size(), 2u);
    EXPECT_EQ(releases[1].idempotency_key, releases[0].idempotency_key);
    EXPECT_EQ(gateway_.ReleasesMade(), 1u);
    EXPECT_EQ(StoredPayment()->refund_id, "re_fake1");
}

TEST_F(PaymentsDomainTest, ReleaseRefusedForGoodIsRecordedFailedNotDeadLettered) {
    Pay();
    gateway_.FailNextRelease(GatewayError::Kind::kInvalid, "No such charge");
    EXPECT_EQ(Cancel(), AckDecision::kAck);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kFailed);
    EXPECT_EQ(StoredPayment()->failure, "No such charge");
}

TEST_F(PaymentsDomainTest, RecoverCapturesWhatACompletedOrderIsStillDue) {
    // As after a replay, or a capture whose event was handled while the gateway was down and
    // then acked elsewhere: the sweep finds the authorised payment of a completed order.
    Pay();
    SettleReplica(kOrder, OrderStatus::kComplete);
    RecoveryReport report = service_->Recover();
    EXPECT_EQ(report.settlements_made, 1u);
    EXPECT_EQ(StoredPayment()->status, PaymentStatus::kCaptured);
    EXPECT_EQ(service_->Recover().settlements_made, 0u);
    EXPECT_EQ(gateway_.CapturesMade(), 1u);
}

TEST_F(PaymentsDomainTest, RecoverSaysWhenItsBatchWasFullSoTheWorkerGoesOnAtOnce) {
    PaymentServiceOptions options;
    options.recovery_batch = 1;
    Build(options);
    Pay();
    const std::string second = "5f1a2b3c4d5e6f7a8b9c0d02";
    Deliver(events::OrderCreated{
        second, 0, OrderStatus::kCreated, kBuyer, clock_.Now() + 15min, {kTicket, 500}});
    service_->Pay(kBuyer, second, "tok_visa", "");
    SettleReplica(kOrder, OrderStatus::kComplete);
    SettleReplica(second, OrderStatus::kCancelled);
    RecoveryReport first = service_->Recover();
    EXPECT_EQ(first.settlements_made, 1u);
    EXPECT_TRUE(first.more);
    RecoveryReport next = service_->Recover();
    EXPECT_EQ(next.settlements_made, 1u);
    RecoveryReport last = service_->Recover();
    EXPECT_EQ(last.settlements_made, 0u);
    EXPECT_FALSE(last.more);
    EXPECT_EQ(gateway_.CapturesMade(), 1u);
    EXPECT_EQ(gateway_.ReleasesMade(), 1u);
}

TEST_F(PaymentsDomainTest, FindShowsThePaymentToItsBuyerOnly) {
    Payment p = Pay();
    Payment found = service_->Find(kBuyer, p.id);
    EXPECT_EQ(found.order_id, kOrder);
    EXPECT_EQ(found.amount, 2000);
    EXPECT_EQ(found.status, PaymentStatus::kAuthorized);
    EXPECT_EQ(DomainErrorOf([&] { service_->Find(kOther, p.id); }), "not owner");
    EXPECT_EQ(DomainErrorOf([&] { service_->Find(kBuyer, kUnknownOrder); }), "not found");
    EXPECT_EQ(DomainErrorOf([&] { service_->Find(kBuyer, "nope"); }), "not found");
}

}  // namespace
}  // namespace ticketing::payments

// PaymentsReplayer against a SQLite file: the order replica by the version rule, one payment
// (with its succeeded attempt) per payment:created, authorised; a settled order's payment comes
// back due its capture or release, which the recovery sweep makes again with the same key.
#include "replay/payments_replayer.hpp"

#include <gtest/gtest.h>

#include "common/events/events.hpp"
#include "common/testing/replayer_fixture.hpp"

#include "storage/migrations.hpp"
#include "storage/sql_order_replica_repository.hpp"
#include "storage/sql_payment_attempt_repository.hpp"
#include "storage/sql_payment_repository.hpp"

namespace ticketing::payments {
namespace {

using test::Stored;

class PaymentsReplayerTest : public test::ReplayerFixture<PaymentsReplayer, &Migrations> {
protected:
};

TEST_F(PaymentsReplayerTest, PaymentIsRebuiltWithItsSucceededAttempt) {
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2500}}));
    EXPECT_EQ(Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"}, "2026-11-22T10:01:00.000Z")),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(events::OrderCompleted{"o1", 1, {"t1"}})), Outcome::kApplied);

    Write();
    db_->WithSession([](soci::session& s) {
        auto payment = SqlPaymentRepository(s).FindOfOrder("o1");
        ASSERT_TRUE(payment.has_value());
        EXPECT_EQ(payment->id, "p1");
        EXPECT_EQ(payment->stripe_id, "ch_1");
        EXPECT_EQ(util::FormatIso8601(payment->created_at), "2026-11-22T10:01:00.000Z");
        auto attempt = SqlPaymentAttemptRepository(s).Find(payment->attempt_id);
        ASSERT_TRUE(attempt.has_value());
        EXPECT_EQ(attempt->status, AttemptStatus::kSucceeded);
        EXPECT_EQ(attempt->amount, 2500);
        EXPECT_EQ(payment->amount, 2500);
        EXPECT_EQ(payment->status, PaymentStatus::kAuthorized);
        EXPECT_EQ(SqlOrderReplicaRepository(s).Find("o1")->status, OrderStatus::kComplete);
        auto due = SqlPaymentRepository(s).DueSettlements(std::string("o1"), 10);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].settlement, Settlement::kCapture);
    });
}

TEST_F(PaymentsReplayerTest, PaidOrderCancelledLaterIsDueItsReleaseAgain) {
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2500}}));
    Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"}));
    Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}}));
    Write();
    db_->WithSession([](soci::session& s) {
        auto due = SqlPaymentRepository(s).DueSettlements(std::nullopt, 10);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].payment.id, "p1");
        EXPECT_EQ(due[0].settlement, Settlement::kRelease);
    });
}

TEST_F(PaymentsReplayerTest, PaymentOfAnUnknownOrderOrASecondOneIsSkipped) {
    EXPECT_EQ(Apply(Stored(events::PaymentCreated{"p1", "nope", "ch_1"})), Outcome::kSkipped);
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2500}}));
    Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"}));
    EXPECT_EQ(Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"})), Outcome::kSkipped);
}

}  // namespace
}  // namespace ticketing::payments

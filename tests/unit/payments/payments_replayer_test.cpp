// PaymentsReplayer against a SQLite file: the order replica by the version rule, one payment
// (with its succeeded attempt) per payment:created; a cancelled paid order comes back owing its
// refund, which the recovery sweep makes again with the same idempotency key.
#include "replay/payments_replayer.hpp"

#include <gtest/gtest.h>

#include "common/bus/outbox.hpp"
#include "common/db/database.hpp"
#include "common/db/migrations.hpp"
#include "common/events/events.hpp"
#include "common/testing/process.hpp"

#include "storage/migrations.hpp"
#include "storage/payment_store.hpp"

namespace ticketing::payments {
namespace {

using Outcome = service::EventReplayer::Outcome;

template <class E>
bus::StoredEvent Stored(const E& e, std::string occurred_at = "2026-11-22T10:00:00.000Z") {
    return {1, std::string(E::kSubject.name), events::Encode(e), "id", occurred_at, ""};
}

class PaymentsReplayerTest : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = db::Database::Open("sqlite://" + (dir_.Path() / "payments.db").string());
        db::RunMigrations(*db_, bus::WithBusMigrations(false, Migrations()));
    }
    Outcome Apply(const bus::StoredEvent& e) { return replayer_.Apply(e); }
    // Writes what the events rebuilt so far, as the replay's final transaction does (emptying
    // the tables first, so it may run again after more events).
    void Write() {
        db_->Transaction([&](soci::session& tx) {
            for (const auto& t : replayer_.Tables()) {
                tx << "DELETE FROM " + t;
            }
            replayer_.Write(tx);
        });
    }

    test::TempDir dir_;
    std::unique_ptr<db::Database> db_;
    PaymentsReplayer replayer_;
};

TEST_F(PaymentsReplayerTest, PaymentIsRebuiltWithItsSucceededAttempt) {
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2500}}));
    EXPECT_EQ(Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"}, "2026-11-22T10:01:00.000Z")),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(events::OrderCompleted{"o1", 1, {"t1"}})), Outcome::kApplied);

    Write();
    db_->WithSession([](soci::session& s) {
        auto payment = PaymentStore::FindPaymentOfOrder(s, "o1");
        ASSERT_TRUE(payment.has_value());
        EXPECT_EQ(payment->id, "p1");
        EXPECT_EQ(payment->stripe_id, "ch_1");
        EXPECT_EQ(util::FormatIso8601(payment->created_at), "2026-11-22T10:01:00.000Z");
        auto attempt = PaymentStore::FindAttempt(s, payment->attempt_id);
        ASSERT_TRUE(attempt.has_value());
        EXPECT_EQ(attempt->status, AttemptStatus::kSucceeded);
        EXPECT_EQ(attempt->amount, 2500);
        EXPECT_EQ(PaymentStore::FindOrder(s, "o1")->status, OrderStatus::kComplete);
    });
}

TEST_F(PaymentsReplayerTest, PaidOrderCancelledLaterOwesItsRefundAgain) {
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2500}}));
    Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"}));
    Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}}));
    Write();
    db_->WithSession([](soci::session& s) {
        auto owed = PaymentStore::OwedRefund(s, "o1");
        ASSERT_TRUE(owed.has_value());
        EXPECT_EQ(owed->id, "p1");
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

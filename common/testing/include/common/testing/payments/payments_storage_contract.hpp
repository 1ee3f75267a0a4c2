// What the payments service's repositories promise (payments/src/storage/*_repository.hpp), as
// one typed test suite: the in-memory fakes the unit tests use (tests/unit/payments) and the
// Sql* repositories on SQLite and PostgreSQL (tests/integration/payments) both run it, so the
// fakes cannot drift from the SQL. An environment type gives the suite a unit-of-work runner
// over empty storage:
//
//     struct SqlitePayments { payments::PaymentsTransactions& runner(); };
//     INSTANTIATE_TYPED_TEST_SUITE_P(Sql, PaymentsStorageContract, ::testing::Types<...>);
//
// Rows are inserted in the order the SQL's foreign keys need: order, attempt, payment.
// Thread-safety: one test thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/payments_unit_of_work.hpp"

namespace ticketing::test {

template <class Env>
class PaymentsStorageContract : public ::testing::Test {
protected:
    using Attempt = payments::PaymentAttempt;
    using AttemptStatus = payments::AttemptStatus;
    using OrderReplica = payments::OrderReplica;
    using OrderStatus = payments::OrderStatus;
    using Payment = payments::Payment;
    using PaymentStatus = payments::PaymentStatus;
    using Settlement = payments::Settlement;
    using Uow = payments::PaymentsUnitOfWork;

    // Runs f(unit of work) in one transaction and returns what it returns.
    template <class F>
    auto With(F f) {
        return env_.runner().Run([&](Uow& uow) { return f(uow); });
    }

    // A time on the millisecond, as the SQL stores it: `ms` after a fixed instant.
    static util::TimePoint At(std::int64_t ms) { return util::FromEpochMs(1'700'000'000'000 + ms); }

    static OrderReplica Order(const std::string& id, OrderStatus status = OrderStatus::kCreated) {
        return OrderReplica{id, "u1", 2000, status, 0};
    }

    // A pending attempt `id` for `order_id`, created at At(created) with its lease until
    // At(lease).
    static Attempt PendingAttempt(const std::string& id,
                                  const std::string& order_id,
                                  std::int64_t created = 0,
                                  std::int64_t lease = 1000) {
        return Attempt{id,
                       order_id,
                       2000,
                       "tok_visa",
                       AttemptStatus::kPending,
                       std::nullopt,
                       std::nullopt,
                       At(lease),
                       At(created)};
    }

    // An authorised payment `id` of `order_id` (by its own succeeded attempt "a-<id>"),
    // created at At(created); inserts the order's replica with `status` too.
    void Paid(const std::string& id,
              const std::string& order_id,
              OrderStatus status,
              std::int64_t created = 0) {
        With([&](Uow& uow) {
            uow.orders().Insert(Order(order_id));
            if (status != OrderStatus::kCreated) {
                uow.orders().UpdateFromPrevious(order_id, status, 1);
            }
            uow.attempts().Insert(PendingAttempt("a-" + id, order_id, created));
            uow.attempts().MarkSucceeded("a-" + id, "ch_" + id, At(created));
            uow.payments().Insert(Payment{id,
                                          order_id,
                                          "a-" + id,
                                          "ch_" + id,
                                          std::nullopt,
                                          At(created),
                                          PaymentStatus::kAuthorized,
                                          2000,
                                          std::nullopt});
        });
    }

    static std::vector<std::string> AttemptIds(const std::vector<Attempt>& attempts) {
        std::vector<std::string> ids;
        for (const auto& a : attempts) {
            ids.push_back(a.id);
        }
        return ids;
    }

    static std::vector<std::string> Due(const std::vector<payments::DueSettlement>& due) {
        std::vector<std::string> out;
        for (const auto& d : due) {
            out.push_back(d.payment.id +
                          (d.settlement == Settlement::kCapture ? ":capture" : ":release"));
        }
        return out;
    }

    using Ids = std::vector<std::string>;

    Env env_;
};

TYPED_TEST_SUITE_P(PaymentsStorageContract);

// ---- order replica ----

TYPED_TEST_P(PaymentsStorageContract, AnOrderIsInsertedOnceAndFoundAsItWasStored) {
    using T = TestFixture;
    auto order = T::Order("o1");
    order.version = 2;
    EXPECT_TRUE(this->With([&](auto& uow) { return uow.orders().Insert(order); }));
    auto other = T::Order("o1");
    other.user_id = "u2";
    EXPECT_FALSE(this->With([&](auto& uow) { return uow.orders().Insert(other); }));
    EXPECT_EQ(this->With([](auto& uow) { return uow.orders().Find("o1"); }), order);
    EXPECT_FALSE(this->With([](auto& uow) { return uow.orders().Find("o9"); }).has_value());
}

TYPED_TEST_P(PaymentsStorageContract, AnOrderTakesOnlyTheVersionAfterItsOwn) {
    using T = TestFixture;
    this->With([](auto& uow) { return uow.orders().Insert(T::Order("o1")); });
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.orders().UpdateFromPrevious("o1", payments::OrderStatus::kCancelled, 2);
    }));
    EXPECT_TRUE(this->With([](auto& uow) {
        return uow.orders().UpdateFromPrevious("o1", payments::OrderStatus::kComplete, 1);
    }));
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.orders().UpdateFromPrevious("o1", payments::OrderStatus::kCancelled, 1);
    }));
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.orders().UpdateFromPrevious("o9", payments::OrderStatus::kCancelled, 1);
    }));
    auto order = this->With([](auto& uow) {
        uow.orders().Lock("o1");  // changes nothing
        return uow.orders().Find("o1");
    });
    ASSERT_TRUE(order.has_value());
    EXPECT_EQ(order->status, payments::OrderStatus::kComplete);
    EXPECT_EQ(order->version, 1);
}

// ---- payment attempts ----

TYPED_TEST_P(PaymentsStorageContract, AnOrderHasOneActiveAttemptAndAFailedOneFreesIt) {
    using T = TestFixture;
    this->With([](auto& uow) {
        uow.orders().Insert(T::Order("o1"));
        return uow.orders().Insert(T::Order("o2"));
    });
    auto insert = [&](const std::string& id, const std::string& order) {
        return this->With(
            [&](auto& uow) { return uow.attempts().Insert(T::PendingAttempt(id, order)); });
    };
    EXPECT_TRUE(insert("a1", "o1"));
    EXPECT_FALSE(insert("a2", "o1"));  // a1 is pending
    EXPECT_FALSE(insert("a1", "o2"));  // the id is taken
    EXPECT_TRUE(insert("a3", "o2"));   // another order
    EXPECT_EQ(this->With([](auto& uow) { return uow.attempts().Find("a1"); }),
              T::PendingAttempt("a1", "o1"));
    EXPECT_TRUE(this->With(
        [](auto& uow) { return uow.attempts().MarkFailed("a1", "Declined", T::At(5)); }));
    EXPECT_FALSE(this->With([](auto& uow) { return uow.attempts().FindActive("o1"); }).has_value());
    EXPECT_TRUE(insert("a4", "o1"));
    EXPECT_TRUE(
        this->With([](auto& uow) { return uow.attempts().MarkSucceeded("a4", "ch_1", T::At(6)); }));
    EXPECT_FALSE(insert("a5", "o1"));  // a4 succeeded: the order is paid
    auto active = this->With([](auto& uow) { return uow.attempts().FindActive("o1"); });
    ASSERT_TRUE(active.has_value());
    EXPECT_EQ(active->id, "a4");
}

TYPED_TEST_P(PaymentsStorageContract, AnAttemptSettlesOnlyFromPendingAndForgetsItsCard) {
    using T = TestFixture;
    this->With([](auto& uow) {
        uow.orders().Insert(T::Order("o1"));
        uow.orders().Insert(T::Order("o2"));
        uow.attempts().Insert(T::PendingAttempt("a1", "o1"));
        return uow.attempts().Insert(T::PendingAttempt("a2", "o2"));
    });
    EXPECT_TRUE(
        this->With([](auto& uow) { return uow.attempts().MarkSucceeded("a1", "ch_1", T::At(5)); }));
    EXPECT_FALSE(
        this->With([](auto& uow) { return uow.attempts().MarkFailed("a1", "late", T::At(6)); }));
    EXPECT_FALSE(
        this->With([](auto& uow) { return uow.attempts().MarkSucceeded("a1", "ch_2", T::At(6)); }));
    EXPECT_TRUE(this->With(
        [](auto& uow) { return uow.attempts().MarkFailed("a2", "Declined", T::At(5)); }));
    EXPECT_FALSE(
        this->With([](auto& uow) { return uow.attempts().MarkSucceeded("a2", "ch_3", T::At(6)); }));
    EXPECT_FALSE(
        this->With([](auto& uow) { return uow.attempts().MarkFailed("a9", "none", T::At(6)); }));

    auto succeeded = this->With([](auto& uow) { return uow.attempts().Find("a1"); });
    ASSERT_TRUE(succeeded.has_value());
    EXPECT_EQ(succeeded->status, payments::AttemptStatus::kSucceeded);
    EXPECT_EQ(succeeded->charge_id, "ch_1");
    EXPECT_EQ(succeeded->source, "");
    EXPECT_EQ(succeeded->failure, std::nullopt);
    auto failed = this->With([](auto& uow) { return uow.attempts().Find("a2"); });
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->status, payments::AttemptStatus::kFailed);
    EXPECT_EQ(failed->failure, "Declined");
    EXPECT_EQ(failed->source, "");
    EXPECT_EQ(failed->charge_id, std::nullopt);
}

TYPED_TEST_P(PaymentsStorageContract, ALeaseMovesOnlyFromTheLeaseSeenAndEndsOnlyWhilePending) {
    using T = TestFixture;
    this->With([](auto& uow) {
        uow.orders().Insert(T::Order("o1"));
        return uow.attempts().Insert(T::PendingAttempt("a1", "o1", 0, 1000));
    });
    EXPECT_FALSE(this->With(
        [](auto& uow) { return uow.attempts().TakeOver("a1", T::At(999), T::At(5000)); }));
    EXPECT_TRUE(this->With(
        [](auto& uow) { return uow.attempts().TakeOver("a1", T::At(1000), T::At(5000)); }));
    EXPECT_FALSE(this->With(
        [](auto& uow) { return uow.attempts().TakeOver("a1", T::At(1000), T::At(6000)); }));
    EXPECT_EQ(this->With([](auto& uow) { return uow.attempts().Find("a1"); })->lease_until,
              T::At(5000));
    EXPECT_TRUE(this->With([](auto& uow) { return uow.attempts().EndLease("a1", T::At(2000)); }));
    EXPECT_EQ(this->With([](auto& uow) { return uow.attempts().Find("a1"); })->lease_until,
              T::At(2000));
    this->With([](auto& uow) { return uow.attempts().MarkSucceeded("a1", "ch_1", T::At(2500)); });
    EXPECT_FALSE(this->With([](auto& uow) { return uow.attempts().EndLease("a1", T::At(3000)); }));
    EXPECT_FALSE(this->With(
        [](auto& uow) { return uow.attempts().TakeOver("a1", T::At(2000), T::At(9000)); }));
}

TYPED_TEST_P(PaymentsStorageContract, ExpiredAttemptsArePendingPastTheirLeaseAndYoungEnough) {
    using T = TestFixture;
    this->With([](auto& uow) {
        for (const char* order : {"o1", "o2", "o3", "o4", "o5", "o6"}) {
            uow.orders().Insert(T::Order(order));
        }
        uow.attempts().Insert(T::PendingAttempt("a1", "o1", 100, 3000));
        uow.attempts().Insert(T::PendingAttempt("a2", "o2", 100, 2000));
        uow.attempts().Insert(T::PendingAttempt("a3", "o3", 100, 2000));  // same lease: by id
        uow.attempts().Insert(T::PendingAttempt("a4", "o4", 100, 9000));  // lease still runs
        uow.attempts().Insert(T::PendingAttempt("a5", "o5", 10, 1000));   // too old
        uow.attempts().Insert(T::PendingAttempt("a6", "o6", 100, 1000));
        return uow.attempts().MarkFailed("a6", "Declined", T::At(500));  // not pending
    });
    using IdList = typename T::Ids;
    auto expired = [&](std::size_t limit) {
        return T::AttemptIds(this->With(
            [&](auto& uow) { return uow.attempts().Expired(T::At(5000), T::At(10), limit); }));
    };
    EXPECT_EQ(expired(10), (IdList{"a2", "a3", "a1"}));
    EXPECT_EQ(expired(2), (IdList{"a2", "a3"}));
}

// ---- payments ----

TYPED_TEST_P(PaymentsStorageContract, APaymentIsFoundByIdAndByItsOrder) {
    using T = TestFixture;
    this->Paid("p1", "o1", payments::OrderStatus::kCreated, 7);
    auto payment = this->With([](auto& uow) { return uow.payments().Find("p1"); });
    ASSERT_TRUE(payment.has_value());
    EXPECT_EQ(payment->order_id, "o1");
    EXPECT_EQ(payment->attempt_id, "a-p1");
    EXPECT_EQ(payment->stripe_id, "ch_p1");
    EXPECT_EQ(payment->created_at, T::At(7));
    EXPECT_EQ(payment->status, payments::PaymentStatus::kAuthorized);
    EXPECT_EQ(payment->amount, 2000);
    EXPECT_EQ(payment->refund_id, std::nullopt);
    EXPECT_EQ(payment->failure, std::nullopt);
    EXPECT_EQ(this->With([](auto& uow) { return uow.payments().FindOfOrder("o1"); }), payment);
    EXPECT_FALSE(this->With([](auto& uow) { return uow.payments().Find("p9"); }).has_value());
    EXPECT_FALSE(
        this->With([](auto& uow) { return uow.payments().FindOfOrder("o9"); }).has_value());
}

TYPED_TEST_P(PaymentsStorageContract, SettlementsAreDueForAuthorisedPaymentsOfSettledOrders) {
    using T = TestFixture;
    this->Paid("p1", "o1", payments::OrderStatus::kComplete, 30);
    this->Paid("p2", "o2", payments::OrderStatus::kCancelled, 10);
    this->Paid("p3", "o3", payments::OrderStatus::kCreated, 5);    // nothing due yet
    this->Paid("p4", "o4", payments::OrderStatus::kComplete, 10);  // same time as p2: by id
    this->Paid("p5", "o5", payments::OrderStatus::kComplete, 1);
    this->With([](auto& uow) {
        return uow.payments().RecordSettlement(
            "p5", payments::PaymentStatus::kCaptured, std::nullopt, std::nullopt, T::At(2));
    });
    using IdList = typename T::Ids;
    auto due = [&](std::optional<std::string> order, std::size_t limit) {
        return T::Due(
            this->With([&](auto& uow) { return uow.payments().DueSettlements(order, limit); }));
    };
    EXPECT_EQ(due(std::nullopt, 10), (IdList{"p2:release", "p4:capture", "p1:capture"}));
    EXPECT_EQ(due(std::nullopt, 1), IdList{"p2:release"});
    EXPECT_EQ(due("o1", 10), IdList{"p1:capture"});
    EXPECT_EQ(due("o3", 10), IdList{});
}

TYPED_TEST_P(PaymentsStorageContract, ASettlementIsRecordedOnceOverAuthorised) {
    using T = TestFixture;
    this->Paid("p1", "o1", payments::OrderStatus::kCancelled);
    this->Paid("p2", "o2", payments::OrderStatus::kComplete);
    auto record = [&](const std::string& id,
                      payments::PaymentStatus status,
                      std::optional<std::string> refund,
                      std::optional<std::string> failure) {
        return this->With([&](auto& uow) {
            return uow.payments().RecordSettlement(id, status, refund, failure, T::At(50));
        });
    };
    EXPECT_TRUE(record("p1", payments::PaymentStatus::kReleased, "re_1", std::nullopt));
    EXPECT_FALSE(record("p1", payments::PaymentStatus::kFailed, std::nullopt, "late"));
    EXPECT_TRUE(
        record("p2", payments::PaymentStatus::kFailed, std::nullopt, "This charge has expired"));
    EXPECT_FALSE(record("p9", payments::PaymentStatus::kCaptured, std::nullopt, std::nullopt));

    auto released = this->With([](auto& uow) { return uow.payments().Find("p1"); });
    ASSERT_TRUE(released.has_value());
    EXPECT_EQ(released->status, payments::PaymentStatus::kReleased);
    EXPECT_EQ(released->refund_id, "re_1");
    EXPECT_EQ(released->failure, std::nullopt);
    auto failed = this->With([](auto& uow) { return uow.payments().Find("p2"); });
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->status, payments::PaymentStatus::kFailed);
    EXPECT_EQ(failed->failure, "This charge has expired");
    EXPECT_EQ(this->With([](auto& uow) { return uow.payments().CountFailedSettlements(); }), 1u);
    EXPECT_EQ(T::Due(this->With(
                  [](auto& uow) { return uow.payments().DueSettlements(std::nullopt, 10); })),
              typename T::Ids{});
}

REGISTER_TYPED_TEST_SUITE_P(PaymentsStorageContract,
                            AnOrderIsInsertedOnceAndFoundAsItWasStored,
                            AnOrderTakesOnlyTheVersionAfterItsOwn,
                            AnOrderHasOneActiveAttemptAndAFailedOneFreesIt,
                            AnAttemptSettlesOnlyFromPendingAndForgetsItsCard,
                            ALeaseMovesOnlyFromTheLeaseSeenAndEndsOnlyWhilePending,
                            ExpiredAttemptsArePendingPastTheirLeaseAndYoungEnough,
                            APaymentIsFoundByIdAndByItsOrder,
                            SettlementsAreDueForAuthorisedPaymentsOfSettledOrders,
                            ASettlementIsRecordedOnceOverAuthorised);

}  // namespace ticketing::test

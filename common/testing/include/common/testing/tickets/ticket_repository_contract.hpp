// What every TicketRepository promises (tickets/src/storage/ticket_repository.hpp), as one typed
// test suite: the in-memory fake the unit tests use (tests/unit/tickets) and SqlTicketRepository
// on SQLite and PostgreSQL (tests/integration/tickets) both run it, so the fake cannot drift from
// the SQL. An environment type gives the suite a unit-of-work runner over an empty repository:
//
//     struct SqliteTickets { tickets::TicketsTransactions& runner(); };
//     INSTANTIATE_TYPED_TEST_SUITE_P(Sql, TicketRepositoryContract, ::testing::Types<...>);
//
// Thread-safety: one test thread.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/tickets_unit_of_work.hpp"

namespace ticketing::test {

template <class Env>
class TicketRepositoryContract : public ::testing::Test {
protected:
    using Ticket = tickets::Ticket;

    // Runs f(repository) in one unit of work and returns what it returns.
    template <class F>
    auto With(F f) {
        return env_.runner().Run([&](tickets::TicketsUnitOfWork& uow) { return f(uow.tickets()); });
    }

    // A free ticket of `seller`; ids "t1" < "t2" < ... as the real, time-ordered ids are.
    static Ticket Make(const std::string& id, const std::string& seller = "u1") {
        return Ticket{id,
                      "Title " + id,
                      2000,
                      seller,
                      std::nullopt,
                      0,
                      util::FromEpochMs(1'700'000'000'123),
                      false};
    }

    void InsertAll(const std::vector<Ticket>& all) {
        With([&](tickets::TicketRepository& r) {
            for (const auto& t : all) {
                r.Insert(t);
            }
        });
    }

    static std::vector<std::string> Ids(const std::vector<Ticket>& tickets) {
        std::vector<std::string> ids;
        for (const auto& t : tickets) {
            ids.push_back(t.id);
        }
        return ids;
    }

    using IdList = std::vector<std::string>;

    Env env_;
};

TYPED_TEST_SUITE_P(TicketRepositoryContract);

TYPED_TEST_P(TicketRepositoryContract, AnInsertedTicketIsFoundAsItWasStored) {
    auto held = TestFixture::Make("t1");
    held.order_id = "o1";
    held.version = 3;
    this->InsertAll({held});
    EXPECT_EQ(this->With([](auto& r) { return r.Find("t1"); }), held);
    EXPECT_FALSE(this->With([](auto& r) { return r.Find("t9"); }).has_value());
}

TYPED_TEST_P(TicketRepositoryContract, UnreservedTicketsPageNewestFirstBelowBefore) {
    auto held = TestFixture::Make("t4");
    held.order_id = "o1";
    this->InsertAll({TestFixture::Make("t1"),
                     TestFixture::Make("t2"),
                     TestFixture::Make("t3"),
                     held,
                     TestFixture::Make("t5")});
    auto page = [&](std::size_t limit, const std::string& before) {
        return TestFixture::Ids(this->With([&](auto& r) {
            return r.ListUnreserved({limit, false, "", before});
        }));
    };
    using Ids = typename TestFixture::IdList;
    EXPECT_EQ(page(2, ""), (Ids{"t5", "t3"}));  // t4 is reserved
    EXPECT_EQ(page(2, "t3"), (Ids{"t2", "t1"}));
    EXPECT_EQ(page(2, "t1"), Ids{});
    EXPECT_EQ(page(1000, ""), (Ids{"t5", "t3", "t2", "t1"}));
}

TYPED_TEST_P(TicketRepositoryContract, UnreservedTicketsPageOldestFirstAboveAfter) {
    auto held = TestFixture::Make("t2");
    held.order_id = "o1";
    this->InsertAll(
        {TestFixture::Make("t1"), held, TestFixture::Make("t3"), TestFixture::Make("t4")});
    auto page = [&](std::size_t limit, const std::string& after) {
        return TestFixture::Ids(this->With([&](auto& r) {
            return r.ListUnreserved({limit, true, after, ""});
        }));
    };
    using Ids = typename TestFixture::IdList;
    EXPECT_EQ(page(2, ""), (Ids{"t1", "t3"}));
    EXPECT_EQ(page(2, "t3"), Ids{"t4"});
    EXPECT_EQ(page(2, "t4"), Ids{});
}

TYPED_TEST_P(TicketRepositoryContract, TheSellersListHasEveryStateOfThatSellerOnly) {
    auto held = TestFixture::Make("t2");
    held.order_id = "o1";
    this->InsertAll({TestFixture::Make("t1"), held, TestFixture::Make("t3", "u2")});
    using Ids = typename TestFixture::IdList;
    EXPECT_EQ(TestFixture::Ids(this->With([](auto& r) { return r.ListOfSeller("u1", {}); })),
              (Ids{"t2", "t1"}));
    EXPECT_EQ(TestFixture::Ids(this->With([](auto& r) {
                  return r.ListOfSeller("u1", {1, true, "", ""});
              })),
              Ids{"t1"});
}

TYPED_TEST_P(TicketRepositoryContract, AnUpdateAppliesOnlyOverTheExpectedVersion) {
    this->InsertAll({TestFixture::Make("t1")});
    auto first = TestFixture::Make("t1");
    first.title = "First";
    first.price = 3000;
    first.order_id = "o1";
    first.version = 1;
    auto second = first;
    second.title = "Second";
    EXPECT_TRUE(this->With([&](auto& r) { return r.Update(first, 0); }));
    EXPECT_FALSE(this->With([&](auto& r) { return r.Update(second, 0); }));  // stale
    EXPECT_EQ(this->With([](auto& r) { return r.Find("t1"); }), first);
    auto released = first;
    released.order_id.reset();
    released.version = 2;
    EXPECT_TRUE(this->With([&](auto& r) { return r.Update(released, 1); }));
    EXPECT_EQ(this->With([](auto& r) { return r.Find("t1"); }), released);
}

TYPED_TEST_P(TicketRepositoryContract, OnlyTheHoldingOrderMarksATicketSoldAndOnlyOnce) {
    auto held = TestFixture::Make("t1");
    held.order_id = "o1";
    this->InsertAll({held, TestFixture::Make("t2")});
    EXPECT_FALSE(this->With([](auto& r) { return r.MarkSold("t1", "o2"); }));
    EXPECT_FALSE(this->With([](auto& r) { return r.MarkSold("t2", "o1"); }));
    EXPECT_TRUE(this->With([](auto& r) { return r.MarkSold("t1", "o1"); }));
    EXPECT_FALSE(this->With([](auto& r) { return r.MarkSold("t1", "o1"); }));
    auto sold = this->With([](auto& r) { return r.Find("t1"); });
    ASSERT_TRUE(sold.has_value());
    EXPECT_TRUE(sold->sold);
    EXPECT_EQ(sold->version, 0);
}

TYPED_TEST_P(TicketRepositoryContract, ACancelledOrderIsRememberedAndRecordingItAgainIsHarmless) {
    EXPECT_FALSE(this->With([](auto& r) { return r.IsOrderCancelled("o1"); }));
    this->With([](auto& r) { r.RecordCancelledOrder("o1", "t1"); });
    this->With([](auto& r) { r.RecordCancelledOrder("o1", "t1"); });
    EXPECT_TRUE(this->With([](auto& r) { return r.IsOrderCancelled("o1"); }));
    EXPECT_FALSE(this->With([](auto& r) { return r.IsOrderCancelled("o2"); }));
}

REGISTER_TYPED_TEST_SUITE_P(TicketRepositoryContract,
                            AnInsertedTicketIsFoundAsItWasStored,
                            UnreservedTicketsPageNewestFirstBelowBefore,
                            UnreservedTicketsPageOldestFirstAboveAfter,
                            TheSellersListHasEveryStateOfThatSellerOnly,
                            AnUpdateAppliesOnlyOverTheExpectedVersion,
                            OnlyTheHoldingOrderMarksATicketSoldAndOnlyOnce,
                            ACancelledOrderIsRememberedAndRecordingItAgainIsHarmless);

}  // namespace ticketing::test

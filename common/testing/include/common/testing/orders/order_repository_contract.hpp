// What the orders service's repositories promise (orders/src/storage/order_repository.hpp and
// ticket_replica_repository.hpp), as one typed test suite run on the in-memory fakes
// (tests/unit/orders) and on the SQL ones with SQLite and PostgreSQL (tests/integration/orders),
// so the fakes the domain tests use cannot drift from the SQL. An environment type gives the
// suite a unit-of-work runner over empty tables:
//
//     struct SqliteOrders { orders::OrdersTransactions& runner(); };
//     INSTANTIATE_TYPED_TEST_SUITE_P(Sql, OrderRepositoryContract, Backends);
//
// Thread-safety: one test thread.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/orders_unit_of_work.hpp"

namespace ticketing::test {

template <class Env>
class OrderRepositoryContract : public ::testing::Test {
protected:
    using Order = orders::Order;
    using Ticket = orders::Ticket;
    using OrderStatus = orders::OrderStatus;

    // Runs f(unit of work) in one unit of work and returns what it returns.
    template <class F>
    auto With(F f) {
        return env_.runner().Run([&](orders::OrdersUnitOfWork& uow) { return f(uow); });
    }

    static Ticket MakeTicket(const std::string& id) { return Ticket{id, "Concert", 2000, 0}; }

    // A new order of `user` for `ticket_id`, created `ms` after a fixed time.
    static Order MakeOrder(const std::string& id,
                           const std::string& ticket_id,
                           const std::string& user = "u1",
                           std::int64_t ms = 0) {
        const auto created = util::FromEpochMs(1'700'000'000'000 + ms);
        return Order{id,
                     user,
                     OrderStatus::kCreated,
                     created + std::chrono::minutes(15),
                     0,
                     created,
                     MakeTicket(ticket_id)};
    }

    bool Insert(const Order& order) {
        return With([&](auto& uow) { return uow.orders().Insert(order); });
    }

    void InsertTickets(const std::vector<std::string>& ids) {
        With([&](auto& uow) {
            for (const auto& id : ids) {
                uow.tickets().Insert(MakeTicket(id));
            }
        });
    }

    bool SetStatus(const std::string& id, OrderStatus status, std::int64_t expected) {
        return With([&](auto& uow) { return uow.orders().UpdateStatus(id, status, expected); });
    }

    std::optional<Order> Find(const std::string& id) {
        return With([&](auto& uow) { return uow.orders().Find(id); });
    }

    std::optional<Ticket> FindTicket(const std::string& id) {
        return With([&](auto& uow) { return uow.tickets().Find(id); });
    }

    Env env_;
};

TYPED_TEST_SUITE_P(OrderRepositoryContract);

TYPED_TEST_P(OrderRepositoryContract, AnOrderIsReadBackWithItsTicketAsTheReplicaHoldsIt) {
    this->InsertTickets({"t1"});
    const auto order = TestFixture::MakeOrder("o1", "t1");
    ASSERT_TRUE(this->Insert(order));
    this->With([](auto& uow) {
        return uow.tickets().UpdateFromPrevious({"t1", "Opera", 3000, 1});
    });
    auto found = this->Find("o1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->user_id, order.user_id);
    EXPECT_EQ(found->status, order.status);
    EXPECT_EQ(found->expires_at, order.expires_at);
    EXPECT_EQ(found->created_at, order.created_at);
    EXPECT_EQ(found->version, 0);
    EXPECT_EQ(found->ticket.title, "Opera");
    EXPECT_EQ(found->ticket.price, 3000);
    EXPECT_EQ(found->ticket.version, 1);
    EXPECT_FALSE(this->Find("o9").has_value());
}

TYPED_TEST_P(OrderRepositoryContract, ATicketHasAtMostOneActiveOrder) {
    this->InsertTickets({"t1", "t2"});
    EXPECT_TRUE(this->Insert(TestFixture::MakeOrder("o1", "t1")));
    EXPECT_FALSE(this->Insert(TestFixture::MakeOrder("o2", "t1")));
    EXPECT_FALSE(this->Find("o2").has_value());
    EXPECT_TRUE(this->Insert(TestFixture::MakeOrder("o3", "t2")));  // another ticket
    ASSERT_TRUE(this->SetStatus("o1", TestFixture::OrderStatus::kCancelled, 0));
    EXPECT_TRUE(this->Insert(TestFixture::MakeOrder("o2", "t1")));  // the cancelled one is not
    ASSERT_TRUE(this->SetStatus("o2", TestFixture::OrderStatus::kComplete, 0));
    EXPECT_FALSE(this->Insert(TestFixture::MakeOrder("o4", "t1")));  // a completed one is
}

TYPED_TEST_P(OrderRepositoryContract, AUsersOrdersComeOldestFirst) {
    this->InsertTickets({"t1", "t2", "t3", "t4"});
    ASSERT_TRUE(this->Insert(TestFixture::MakeOrder("o3", "t1", "u1", 2000)));
    ASSERT_TRUE(this->Insert(TestFixture::MakeOrder("o2", "t2", "u1", 1000)));
    ASSERT_TRUE(this->Insert(TestFixture::MakeOrder("o1", "t3", "u1", 2000)));  // same time as o3
    ASSERT_TRUE(this->Insert(TestFixture::MakeOrder("o4", "t4", "u2", 0)));
    std::vector<std::string> ids;
    for (const auto& o : this->With([](auto& uow) { return uow.orders().OfUser("u1"); })) {
        ids.push_back(o.id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"o2", "o1", "o3"}));
}

TYPED_TEST_P(OrderRepositoryContract, AStatusChangeAppliesOnlyOverTheExpectedVersion) {
    this->InsertTickets({"t1"});
    ASSERT_TRUE(this->Insert(TestFixture::MakeOrder("o1", "t1")));
    EXPECT_TRUE(this->SetStatus("o1", TestFixture::OrderStatus::kAwaitingPayment, 0));
    EXPECT_FALSE(this->SetStatus("o1", TestFixture::OrderStatus::kCancelled, 0));  // stale
    EXPECT_FALSE(this->SetStatus("o9", TestFixture::OrderStatus::kCancelled, 0));
    auto found = this->Find("o1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->status, TestFixture::OrderStatus::kAwaitingPayment);
    EXPECT_EQ(found->version, 1);
}

TYPED_TEST_P(OrderRepositoryContract, TheReplicaKeepsItsFirstInsertAndAppliesOnlyTheNextVersion) {
    EXPECT_TRUE(this->With([](auto& uow) { return uow.tickets().Insert({"t1", "One", 100, 0}); }));
    EXPECT_FALSE(this->With([](auto& uow) { return uow.tickets().Insert({"t1", "Two", 200, 0}); }));
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.tickets().UpdateFromPrevious({"t1", "Three", 300, 2});
    }));
    EXPECT_TRUE(this->With([](auto& uow) {
        return uow.tickets().UpdateFromPrevious({"t1", "Four", 400, 1});
    }));
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.tickets().UpdateFromPrevious({"t1", "Again", 500, 1});
    }));
    EXPECT_FALSE(this->With([](auto& uow) {
        return uow.tickets().UpdateFromPrevious({"t9", "None", 1, 1});
    }));
    auto held = this->FindTicket("t1");
    ASSERT_TRUE(held.has_value());
    EXPECT_EQ(held->title, "Four");
    EXPECT_EQ(held->price, 400);
    EXPECT_EQ(held->version, 1);
    EXPECT_FALSE(this->FindTicket("t9").has_value());
}

REGISTER_TYPED_TEST_SUITE_P(OrderRepositoryContract,
                            AnOrderIsReadBackWithItsTicketAsTheReplicaHoldsIt,
                            ATicketHasAtMostOneActiveOrder,
                            AUsersOrdersComeOldestFirst,
                            AStatusChangeAppliesOnlyOverTheExpectedVersion,
                            TheReplicaKeepsItsFirstInsertAndAppliesOnlyTheNextVersion);

}  // namespace ticketing::test

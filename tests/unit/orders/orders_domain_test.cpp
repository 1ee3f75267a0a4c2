// OrderService and the listeners on the orders service's storage in memory
// (common/testing/orders): the rules of each route and event, the events they commit in order,
// and what a lost race, a redelivery or a failed commit leaves behind. The SQL behind the same
// ports is tested in tests/integration/orders.
#include <exception>
#include <optional>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/testing/domain_errors.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/orders/in_memory_orders.hpp"

#include "domain/order_service.hpp"
#include "listeners/listeners.hpp"

namespace ticketing::orders {
namespace {

using namespace std::chrono_literals;
using bus::AckDecision;
using test::DomainErrorOf;

constexpr const char* kTicket = "5f1a2b3c4d5e6f7a8b9c0d01";
constexpr const char* kBuyer = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";

class OrdersDomainTest : public ::testing::Test {
protected:
    void SetUp() override {
        listeners_.SubscribeAll(bus_);
        Deliver(events::TicketCreated{kTicket, 0, "Concert", 2000, kOther});
    }

    template <class E>
    AckDecision Deliver(const E& e, std::string event_id = "") {
        bus::MessageMeta meta;
        meta.consumer = "orders-service-test";
        meta.event_id = event_id.empty() ? bus::NewEventId() : std::move(event_id);
        return bus_.Deliver(e, meta).decision;
    }

    // Everything the service has committed to the outbox, in commit order.
    template <class E>
    std::vector<E> Published() {
        return transactions_.Published<E>();
    }

    // CreateAsync, answered here (the in-memory runner commits before it returns): the order,
    // or what it was refused with, thrown.
    Order Create(const std::string& user_id, const std::string& ticket_id, const std::string& tp) {
        std::optional<Order> created;
        std::exception_ptr failure;
        service_.CreateAsync(user_id, ticket_id, tp,
                             [&](const std::optional<Order>& o, std::exception_ptr e) {
                                 created = o;
                                 failure = e;
                             });
        if (failure) {
            std::rethrow_exception(failure);
        }
        return created.value();
    }

    Order Find(const std::string& id) { return orders_.Find(id).value(); }
    Ticket FindTicket(const std::string& id) { return tickets_.Find(id).value(); }

    test::FakeClock clock_;
    util::ObjectIdGenerator ids_{clock_};
    test::FakeBus bus_;  // delivers the events to the listeners
    test::InMemoryTicketReplicaRepository tickets_;
    test::InMemoryOrderRepository orders_{tickets_};
    test::InMemoryOrdersTransactions transactions_{orders_, tickets_};
    OrderService service_{transactions_, clock_, ids_, 900s};
    Listeners listeners_{{transactions_, clock_}};
};

// ---- OrderService ----

TEST_F(OrdersDomainTest, CreateReservesAndPublishesOrderCreated) {
    Order o = Create(kBuyer, kTicket, "tp");
    EXPECT_EQ(o.status, OrderStatus::kCreated);
    EXPECT_EQ(o.version, 0);
    EXPECT_EQ(o.expires_at, clock_.Now() + 900s);
    EXPECT_EQ(o.ticket.price, 2000);
    auto published = Published<events::OrderCreated>();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0],
              (events::OrderCreated{
                  o.id, 0, OrderStatus::kCreated, kBuyer, o.expires_at, {kTicket, 2000}}));
    EXPECT_EQ(transactions_.Envelopes()[0].traceparent, "tp");
}

TEST_F(OrdersDomainTest, ACreateWhoseCommitFailsKeepsNoOrderAndNoEvent) {
    transactions_.FailNextCommit();
    EXPECT_THROW(Create(kBuyer, kTicket, ""), db::UnavailableError);
    EXPECT_TRUE(service_.List(kBuyer).empty());
    EXPECT_TRUE(Published<events::OrderCreated>().empty());
    EXPECT_EQ(Create(kOther, kTicket, "").status, OrderStatus::kCreated);  // still free
}

// CreateAsync (POST /api/orders): the committed order, or Create's refusal as the answer's
// error; a malformed id is refused before anything is queued.
TEST_F(OrdersDomainTest, CreateAsyncAnswersTheOrderOrTheRefusal) {
    std::optional<Order> first;
    service_.CreateAsync(kBuyer, kTicket, "tp",
                         [&](const std::optional<Order>& o, std::exception_ptr e) {
                             EXPECT_FALSE(e);
                             first = o;
                         });
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->status, OrderStatus::kCreated);
    EXPECT_EQ(service_.Get(kBuyer, first->id).id, first->id);
    EXPECT_EQ(Published<events::OrderCreated>().size(), 1u);

    std::exception_ptr refusal;
    bool called = false;
    service_.CreateAsync(kOther, kTicket, "", [&](const std::optional<Order>& o, std::exception_ptr e) {
        called = true;
        EXPECT_FALSE(o.has_value());
        refusal = e;
    });
    ASSERT_TRUE(called);
    EXPECT_EQ(DomainErrorOf([&] { std::rethrow_exception(refusal); }),
              "rule: Ticket is already reserved");
    EXPECT_EQ(DomainErrorOf([&] {
                  service_.CreateAsync(kBuyer, "not-an-id", "",
                                       [](const std::optional<Order>&, std::exception_ptr) {
                                           ADD_FAILURE() << "answered a malformed id";
                                       });
              }),
              "not found");
    EXPECT_EQ(Published<events::OrderCreated>().size(), 1u);
}

TEST_F(OrdersDomainTest, CreateRejectsUnknownAndMalformedTicketsAsNotFound) {
    EXPECT_EQ(DomainErrorOf([&] { Create(kBuyer, "5f1a2b3c4d5e6f7a8b9c0dff", ""); }),
              "not found");
    EXPECT_EQ(DomainErrorOf([&] { Create(kBuyer, "not-an-id", ""); }), "not found");
}

TEST_F(OrdersDomainTest, CreateRejectsAReservedTicket) {
    Create(kBuyer, kTicket, "");
    EXPECT_EQ(DomainErrorOf([&] { Create(kOther, kTicket, ""); }),
              "rule: Ticket is already reserved");
    EXPECT_EQ(Published<events::OrderCreated>().size(), 1u);
}

TEST_F(OrdersDomainTest, CreateAfterCancellationReservesAgain) {
    Order first = Create(kBuyer, kTicket, "");
    service_.Cancel(kBuyer, first.id, "");
    EXPECT_EQ(Create(kOther, kTicket, "").status, OrderStatus::kCreated);
}

TEST_F(OrdersDomainTest, GetRefusesAnotherUsersOrder) {
    Order o = Create(kBuyer, kTicket, "");
    EXPECT_EQ(service_.Get(kBuyer, o.id).id, o.id);
    EXPECT_EQ(DomainErrorOf([&] { service_.Get(kOther, o.id); }), "not owner");
    EXPECT_EQ(DomainErrorOf([&] { service_.Get(kBuyer, "5f1a2b3c4d5e6f7a8b9c0dff"); }),
              "not found");
}

TEST_F(OrdersDomainTest, CancelMarksCancelledAndPublishes) {
    Order o = Create(kBuyer, kTicket, "");
    service_.Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    EXPECT_EQ(Find(o.id).version, 1);
    auto cancelled = Published<events::OrderCancelled>();
    ASSERT_EQ(cancelled.size(), 1u);
    EXPECT_EQ(cancelled[0], (events::OrderCancelled{o.id, 1, {kTicket}}));
}

TEST_F(OrdersDomainTest, CancelOfACancelledOrderChangesNothing) {
    Order o = Create(kBuyer, kTicket, "");
    service_.Cancel(kBuyer, o.id, "");
    service_.Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_EQ(Published<events::OrderCancelled>().size(), 1u);
}

TEST_F(OrdersDomainTest, CancelOfACompletedOrderIsRefused) {
    Order o = Create(kBuyer, kTicket, "");
    Deliver(events::PaymentCreated{"p1", o.id, "ch_1"});
    EXPECT_EQ(DomainErrorOf([&] { service_.Cancel(kBuyer, o.id, ""); }),
              "rule: Cannot cancel a completed order");
    EXPECT_EQ(DomainErrorOf([&] { service_.Cancel(kOther, o.id, ""); }), "not owner");
    EXPECT_TRUE(Published<events::OrderCancelled>().empty());
}

TEST_F(OrdersDomainTest, ACancelThatLosesARaceReadsTheOrderAgainAndRetries) {
    Order o = Create(kBuyer, kTicket, "");
    orders_.LoseNextStatusUpdates(2);
    service_.Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_EQ(Published<events::OrderCancelled>().size(), 1u);
}

TEST_F(OrdersDomainTest, ACancelThatLosesEveryRaceIsAConflictAndChangesNothing) {
    Order o = Create(kBuyer, kTicket, "");
    orders_.LoseNextStatusUpdates(5);
    EXPECT_EQ(DomainErrorOf([&] { service_.Cancel(kBuyer, o.id, ""); }), "conflict");
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCreated);
    EXPECT_TRUE(Published<events::OrderCancelled>().empty());
}

// ---- ticket replica ----

TEST_F(OrdersDomainTest, TicketCreatedTwiceKeepsOneReplica) {
    EXPECT_EQ(Deliver(events::TicketCreated{kTicket, 0, "Changed?", 1, kOther}), AckDecision::kAck);
    EXPECT_EQ(FindTicket(kTicket).title, "Concert");
}

TEST_F(OrdersDomainTest, TicketUpdatedAppliesTheNextVersion) {
    EXPECT_EQ(Deliver(events::TicketUpdated{kTicket, 1, "Opera", 3000, kOther, std::nullopt}),
              AckDecision::kAck);
    Ticket t = FindTicket(kTicket);
    EXPECT_EQ(t.version, 1);
    EXPECT_EQ(t.title, "Opera");
    EXPECT_EQ(t.price, 3000);
}

TEST_F(OrdersDomainTest, TicketUpdatedSkippingAVersionIsRetriedNotApplied) {
    EXPECT_EQ(Deliver(events::TicketUpdated{kTicket, 2, "Later", 5000, kOther, std::nullopt}),
              AckDecision::kRetry);
    EXPECT_EQ(FindTicket(kTicket).version, 0);
}

TEST_F(OrdersDomainTest, ReplicaConvergesWhenVersionTwoArrivesFirst) {
    events::TicketUpdated v1{kTicket, 1, "One", 1000, kOther, std::nullopt};
    events::TicketUpdated v2{kTicket, 2, "Two", 2000, kOther, std::nullopt};
    EXPECT_EQ(Deliver(v2, "v2"), AckDecision::kRetry);
    EXPECT_EQ(Deliver(v1, "v1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(v2, "v2"), AckDecision::kAck);  // the redelivery now applies
    EXPECT_EQ(FindTicket(kTicket).title, "Two");
    EXPECT_EQ(Deliver(v1, "v1-again"), AckDecision::kAck);  // an old version: duplicate
    EXPECT_EQ(FindTicket(kTicket).version, 2);
}

// A batch of ticket events applies in order in one unit of work (a later version sees the earlier
// one); a batch in which one event must wait keeps nothing and is split (bus::SplitBatch).
TEST_F(OrdersDomainTest, ATicketBatchAppliesInOrderAndSplitsWhenOneEventMustWait) {
    const std::string t2 = "5f1a2b3c4d5e6f7a8b9c0d02";
    const std::string t3 = "5f1a2b3c4d5e6f7a8b9c0d03";
    auto metas = [](std::size_t n) {
        std::vector<bus::MessageMeta> out(n);
        for (auto& m : out) {
            m.consumer = "orders-service-test";
            m.event_id = bus::NewEventId();
        }
        return out;
    };
    std::vector<events::TicketCreated> created{{t2, 0, "Two", 200, kOther},
                                               {t3, 0, "Three", 300, kOther}};
    EXPECT_EQ(listeners_.ticket_created.HandleBatch(created, metas(2)),
              std::vector<AckDecision>(2, AckDecision::kAck));
    std::vector<events::TicketUpdated> in_order{
        {kTicket, 1, "One", 1000, kOther, std::nullopt},
        {kTicket, 2, "Two", 2000, kOther, std::nullopt}};
    EXPECT_EQ(listeners_.ticket_updated.HandleBatch(in_order, metas(2)),
              std::vector<AckDecision>(2, AckDecision::kAck));
    EXPECT_EQ(FindTicket(kTicket).version, 2);
    EXPECT_EQ(FindTicket(kTicket).title, "Two");
    std::vector<events::TicketUpdated> with_gap{{t3, 1, "Three+", 301, kOther, std::nullopt},
                                                {t2, 2, "Two+", 201, kOther, std::nullopt}};
    EXPECT_THROW(listeners_.ticket_updated.HandleBatch(with_gap, metas(2)), bus::SplitBatch);
    EXPECT_EQ(FindTicket(t3).version, 0);  // nothing of the batch was kept
    EXPECT_EQ(FindTicket(t2).version, 0);
}

TEST_F(OrdersDomainTest, TicketUpdatedForAnUnknownTicketIsRetried) {
    EXPECT_EQ(
        Deliver(events::TicketUpdated{"5f1a2b3c4d5e6f7a8b9c0dff", 1, "x", 1, kOther, std::nullopt}),
        AckDecision::kRetry);
}

// ---- expiration and payment ----

TEST_F(OrdersDomainTest, ExpirationCancelsAPendingOrderAndPublishes) {
    Order o = Create(kBuyer, kTicket, "");
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    auto cancelled = Published<events::OrderCancelled>();
    ASSERT_EQ(cancelled.size(), 1u);
    EXPECT_EQ(cancelled[0].version, 1);
}

TEST_F(OrdersDomainTest, ExpirationAfterCompletionChangesNothing) {
    Order o = Create(kBuyer, kTicket, "");
    EXPECT_EQ(Deliver(events::PaymentCreated{"p1", o.id, "ch_1"}), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kComplete);
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_TRUE(Published<events::OrderCancelled>().empty());
    auto completed = Published<events::OrderCompleted>();
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_EQ(completed[0], (events::OrderCompleted{o.id, 1, {kTicket}}));
}

TEST_F(OrdersDomainTest, PaymentAfterCancellationDoesNotComplete) {
    Order o = Create(kBuyer, kTicket, "");
    service_.Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Deliver(events::PaymentCreated{"p1", o.id, "ch_1"}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    EXPECT_TRUE(Published<events::OrderCompleted>().empty());
}

TEST_F(OrdersDomainTest, AnExpirationThatLosesARaceIsRetriedAndLeavesNoTrace) {
    Order o = Create(kBuyer, kTicket, "");
    orders_.LoseNextStatusUpdates(1);
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}, "exp-1"), AckDecision::kRetry);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCreated);
    EXPECT_TRUE(Published<events::OrderCancelled>().empty());
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}, "exp-1"), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
}

TEST_F(OrdersDomainTest, RedeliveredExpirationIsHandledOnce) {
    Order o = Create(kBuyer, kTicket, "");
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}, "exp-1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}, "exp-1"), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_EQ(Published<events::OrderCancelled>().size(), 1u);
}

TEST_F(OrdersDomainTest, EventsAboutUnknownOrdersAreDeadLettered) {
    EXPECT_EQ(Deliver(events::ExpirationComplete{"5f1a2b3c4d5e6f7a8b9c0dff"}),
              AckDecision::kDeadLetter);
    EXPECT_EQ(Deliver(events::PaymentCreated{"p", "5f1a2b3c4d5e6f7a8b9c0dff", "ch"}),
              AckDecision::kDeadLetter);
}

}  // namespace
}  // namespace ticketing::orders

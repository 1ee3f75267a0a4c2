// TicketService and the listeners on the tickets service's storage in memory
// (common/testing/tickets): the rules of each route and order event, the events they commit in
// order, and what a lost race, a redelivery or a failed commit leaves behind. The SQL behind the
// same ports is tested in tests/integration/tickets.
#include <exception>
#include <optional>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/testing/domain_errors.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/tickets/in_memory_tickets.hpp"

#include "domain/ticket_service.hpp"
#include "listeners/listeners.hpp"

namespace ticketing::tickets {
namespace {

using namespace std::chrono_literals;
using bus::AckDecision;
using test::DomainErrorOf;

constexpr const char* kSeller = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";
constexpr const char* kOrder = "7a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kNextOrder = "7a1b2c3d4e5f6a7b8c9d0e02";
constexpr const char* kUnknown = "5f1a2b3c4d5e6f7a8b9c0dff";

class TicketsDomainTest : public ::testing::Test {
protected:
    void SetUp() override { listeners_.SubscribeAll(bus_); }

    template <class E>
    AckDecision Deliver(const E& e, std::string event_id = "") {
        bus::MessageMeta meta;
        meta.consumer = "tickets-service-test";
        meta.event_id = event_id.empty() ? bus::NewEventId() : std::move(event_id);
        meta.traceparent = "tp-event";
        return bus_.Deliver(e, meta).decision;
    }

    // Everything the service has committed to the outbox, in commit order.
    template <class E>
    std::vector<E> Published() {
        return transactions_.Published<E>();
    }

    Ticket Stored(const std::string& id) { return tickets_.Find(id).value(); }

    // CreateAsync, answered here (the in-memory runner commits before it returns): the ticket,
    // or what it failed with, thrown.
    Ticket Create(const std::string& title = "Concert", util::Cents price = 2000) {
        std::optional<Ticket> created;
        std::exception_ptr failure;
        service_.CreateAsync(kSeller, title, price, "tp", [&](const Ticket& t, std::exception_ptr e) {
            created = t;
            failure = e;
        });
        if (failure) {
            std::rethrow_exception(failure);
        }
        return created.value();
    }

    events::OrderCreated OrderFor(const std::string& ticket_id, const std::string& order_id) {
        return {order_id,
                0,
                events::OrderStatus::kCreated,
                kOther,
                clock_.Now() + 900s,
                {ticket_id, 2000}};
    }

    test::FakeClock clock_;
    // Fixed random bytes and counter: ids made in one second rise with each call.
    util::ObjectIdGenerator ids_{clock_, {1, 2, 3, 4, 5}, 1};
    test::FakeBus bus_;  // delivers the order events to the listeners
    test::InMemoryTicketRepository tickets_;
    test::InMemoryTicketsTransactions transactions_{tickets_};
    TicketService service_{transactions_, clock_, ids_};
    Listeners listeners_{{transactions_, clock_}};
};

// ---- create, show, list ----

TEST_F(TicketsDomainTest, CreateStoresVersionZeroAndPublishesTicketCreated) {
    Ticket t = Create("Concert", 1999);
    EXPECT_EQ(t.version, 0);
    EXPECT_FALSE(t.IsReserved());
    EXPECT_EQ(t.created_at, clock_.Now());
    EXPECT_EQ(Stored(t.id), t);
    auto published = Published<events::TicketCreated>();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0], (events::TicketCreated{t.id, 0, "Concert", 1999, kSeller}));
    EXPECT_EQ(transactions_.Envelopes()[0].traceparent, "tp");
}

TEST_F(TicketsDomainTest, ACreateWhoseCommitFailsKeepsNoTicketAndNoEvent) {
    transactions_.FailNextCommit();
    EXPECT_THROW(Create(), db::UnavailableError);
    EXPECT_TRUE(service_.ListOfSeller(kSeller, {}).empty());
    EXPECT_TRUE(Published<events::TicketCreated>().empty());
}

// CreateAsync (POST /api/tickets): the same ticket and event as Create, given to `done` once
// committed; a failed commit gives `done` the error and keeps nothing.
TEST_F(TicketsDomainTest, CreateAsyncAnswersTheCommittedTicketOrTheFailure) {
    std::optional<Ticket> answered;
    std::exception_ptr failure;
    service_.CreateAsync(kSeller, "Concert", 1999, "tp", [&](const Ticket& t, std::exception_ptr e) {
        answered = t;
        failure = e;
    });
    ASSERT_TRUE(answered.has_value());
    EXPECT_FALSE(failure);
    EXPECT_EQ(Stored(answered->id), *answered);
    ASSERT_EQ(Published<events::TicketCreated>().size(), 1u);
    EXPECT_EQ(Published<events::TicketCreated>()[0],
              (events::TicketCreated{answered->id, 0, "Concert", 1999, kSeller}));

    transactions_.FailNextCommit();
    answered.reset();
    service_.CreateAsync(kSeller, "Lost", 100, "tp", [&](const Ticket& t, std::exception_ptr e) {
        answered = t;
        failure = e;
    });
    ASSERT_TRUE(failure);
    EXPECT_THROW(std::rethrow_exception(failure), db::UnavailableError);
    EXPECT_FALSE(tickets_.Find(answered->id).has_value());
    EXPECT_EQ(Published<events::TicketCreated>().size(), 1u);
}

TEST_F(TicketsDomainTest, GetReturnsTheTicketAndNotFoundForUnknownOrMalformedIds) {
    Ticket t = Create();
    EXPECT_EQ(service_.Get(t.id), t);
    EXPECT_EQ(DomainErrorOf([&] { service_.Get(kUnknown); }), "not found");
    EXPECT_EQ(DomainErrorOf([&] { service_.Get("not-an-id"); }), "not found");
}

TEST_F(TicketsDomainTest, ListReturnsUnreservedTicketsOldestFirstInPagesAfterAnId) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(Create("T" + std::to_string(i)).id);
        clock_.Advance(1s);
    }
    ASSERT_EQ(Deliver(OrderFor(ids[1], kOrder)), AckDecision::kAck);
    auto first = service_.ListUnreserved({2, true, "", ""});
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].id, ids[0]);
    EXPECT_EQ(first[1].id, ids[2]);  // ids[1] is reserved
    auto second = service_.ListUnreserved({2, true, first[1].id, ""});
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[0].id, ids[3]);
    EXPECT_EQ(second[1].id, ids[4]);
    EXPECT_TRUE(service_.ListUnreserved({2, true, second[1].id, ""}).empty());
    EXPECT_EQ(service_.ListUnreserved({}).size(), 4u);
}

TEST_F(TicketsDomainTest, ListIsNewestFirstByDefaultAndPagesWithBefore) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(Create("T" + std::to_string(i)).id);
        clock_.Advance(1s);
    }
    ASSERT_EQ(Deliver(OrderFor(ids[3], kOrder)), AckDecision::kAck);
    auto first = service_.ListUnreserved({2, false, "", ""});
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].id, ids[4]);
    EXPECT_EQ(first[1].id, ids[2]);  // ids[3] is reserved
    auto second = service_.ListUnreserved({2, false, "", first[1].id});
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[0].id, ids[1]);
    EXPECT_EQ(second[1].id, ids[0]);
    EXPECT_TRUE(service_.ListUnreserved({2, false, "", second[1].id}).empty());
}

TEST_F(TicketsDomainTest, TheSellersListShowsEveryStateNewestFirst) {
    Ticket free = Create("Free");
    clock_.Advance(1s);
    Ticket held = Create("Held");
    clock_.Advance(1s);
    Ticket sold = Create("Sold");
    ASSERT_EQ(Deliver(OrderFor(held.id, kOrder)), AckDecision::kAck);
    const std::string other_order = "5f1a2b3c4d5e6f7a8b9c0e99";
    ASSERT_EQ(Deliver(OrderFor(sold.id, other_order)), AckDecision::kAck);
    ASSERT_EQ(Deliver(events::OrderCompleted{other_order, 1, {sold.id}}), AckDecision::kAck);
    auto mine = service_.ListOfSeller(kSeller, {});
    ASSERT_EQ(mine.size(), 3u);
    EXPECT_EQ(mine[0].id, sold.id);
    EXPECT_EQ(StateOf(mine[0]), TicketState::kSold);
    EXPECT_EQ(StateOf(mine[1]), TicketState::kReserved);
    EXPECT_EQ(StateOf(mine[2]), TicketState::kAvailable);
    EXPECT_EQ(mine[0].version, 1);  // sold changes no version: nothing is published
    EXPECT_TRUE(service_.ListOfSeller("6a1b2c3d4e5f6a7b8c9d0eff", {}).empty());
}

// ---- update ----

TEST_F(TicketsDomainTest, UpdateReplacesTitleAndPriceAndPublishesTheNextVersion) {
    Ticket t = Create();
    Ticket u = service_.Update(kSeller, t.id, "Opera", 3050, "tp-2");
    EXPECT_EQ(u.version, 1);
    EXPECT_EQ(Stored(t.id).title, "Opera");
    EXPECT_EQ(Stored(t.id).price, 3050);
    auto updated = Published<events::TicketUpdated>();
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0], (events::TicketUpdated{t.id, 1, "Opera", 3050, kSeller, std::nullopt}));
}

TEST_F(TicketsDomainTest, SuccessiveSavesGiveVersionsZeroOneTwo) {
    Ticket t = Create();
    EXPECT_EQ(t.version, 0);
    EXPECT_EQ(service_.Update(kSeller, t.id, "A", 100, "").version, 1);
    EXPECT_EQ(service_.Update(kSeller, t.id, "B", 200, "").version, 2);
    auto updated = Published<events::TicketUpdated>();
    ASSERT_EQ(updated.size(), 2u);
    EXPECT_EQ(updated[0].version, 1);
    EXPECT_EQ(updated[1].version, 2);
}

TEST_F(TicketsDomainTest, UpdateChecksExistenceThenOwnerThenReservation) {
    Ticket t = Create();
    EXPECT_EQ(DomainErrorOf([&] { service_.Update(kSeller, kUnknown, "X", 1, ""); }), "not found");
    EXPECT_EQ(DomainErrorOf([&] { service_.Update(kSeller, "bad", "X", 1, ""); }), "not found");
    EXPECT_EQ(DomainErrorOf([&] { service_.Update(kOther, t.id, "X", 1, ""); }), "not owner");
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(DomainErrorOf([&] { service_.Update(kSeller, t.id, "X", 1, ""); }),
              "rule: Cannot edit a reserved ticket");
    EXPECT_EQ(Stored(t.id).title, "Concert");
    EXPECT_EQ(Stored(t.id).version, 1);
    EXPECT_TRUE(Published<events::TicketUpdated>().size() == 1u);  // only the reservation
}

TEST_F(TicketsDomainTest, AnUpdateThatLosesARaceReadsTheTicketAgainAndRetries) {
    Ticket t = Create();
    tickets_.LoseNextUpdates(2);
    Ticket u = service_.Update(kSeller, t.id, "Opera", 3050, "");
    EXPECT_EQ(u.version, 1);
    EXPECT_EQ(service_.write_conflicts(), 2u);
    EXPECT_EQ(Stored(t.id).title, "Opera");
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 1u);
}

TEST_F(TicketsDomainTest, AnUpdateThatLosesEveryRaceIsAConflictAndChangesNothing) {
    Ticket t = Create();
    tickets_.LoseNextUpdates(TicketService::kDefaultWriteAttempts);
    EXPECT_EQ(DomainErrorOf([&] { service_.Update(kSeller, t.id, "Opera", 3050, ""); }),
              "conflict");
    EXPECT_EQ(service_.write_conflicts(), std::uint64_t{TicketService::kDefaultWriteAttempts});
    EXPECT_EQ(Stored(t.id), t);
    EXPECT_TRUE(Published<events::TicketUpdated>().empty());
}

// ---- order:created ----

TEST_F(TicketsDomainTest, OrderCreatedReservesAndPublishesTicketUpdated) {
    Ticket t = Create();
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).order_id, kOrder);
    EXPECT_EQ(Stored(t.id).version, 1);
    auto updated = Published<events::TicketUpdated>();
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0], (events::TicketUpdated{t.id, 1, "Concert", 2000, kSeller, kOrder}));
    EXPECT_EQ(transactions_.Envelopes().back().traceparent, "tp-event");
}

TEST_F(TicketsDomainTest, OrderCreatedThatLosesARaceIsRetriedAndLeavesNoTrace) {
    Ticket t = Create();
    tickets_.LoseNextUpdates(1);
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder), "e1"), AckDecision::kRetry);
    EXPECT_EQ(Stored(t.id), t);
    EXPECT_TRUE(Published<events::TicketUpdated>().empty());
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder), "e1"), AckDecision::kAck);  // not recorded: runs
    EXPECT_EQ(Stored(t.id).order_id, kOrder);
}

TEST_F(TicketsDomainTest, RedeliveredOrderCreatedChangesNothing) {
    Ticket t = Create();
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder), "e1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder), "e1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder), "e1-republished"), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).version, 1);
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 1u);
}

TEST_F(TicketsDomainTest, OrderCreatedWhileAnotherOrderHoldsItWaitsForThatCancellation) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(Deliver(OrderFor(t.id, kNextOrder), "next"), AckDecision::kRetry);
    EXPECT_EQ(Stored(t.id).order_id, kOrder);
    ASSERT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_EQ(Deliver(OrderFor(t.id, kNextOrder), "next"), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).order_id, kNextOrder);
    EXPECT_EQ(Stored(t.id).version, 3);
}

// order:created is consumed in batches (what is queued together, one transaction): each event
// reserves its ticket and publishes with its own traceparent; a batch in which one event must
// wait keeps nothing and is split (bus::SplitBatch), so each event gets its own decision.
TEST_F(TicketsDomainTest, AnOrderCreatedBatchReservesEachTicketAndSplitsWhenOneMustWait) {
    Ticket a = Create("A");
    Ticket b = Create("B");
    auto metas = [](std::vector<std::string> traces) {
        std::vector<bus::MessageMeta> out(traces.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i].consumer = "tickets-service-test";
            out[i].event_id = bus::NewEventId();
            out[i].traceparent = traces[i];
        }
        return out;
    };
    std::vector<events::OrderCreated> both{OrderFor(a.id, kOrder), OrderFor(b.id, kNextOrder)};
    EXPECT_EQ(listeners_.order_created.HandleBatch(both, metas({"tp-a", "tp-b"})),
              std::vector<AckDecision>(2, AckDecision::kAck));
    EXPECT_EQ(Stored(a.id).order_id, kOrder);
    EXPECT_EQ(Stored(b.id).order_id, kNextOrder);
    ASSERT_EQ(Published<events::TicketUpdated>().size(), 2u);
    auto envelopes = transactions_.Envelopes();
    EXPECT_EQ(envelopes[envelopes.size() - 2].traceparent, "tp-a");
    EXPECT_EQ(envelopes.back().traceparent, "tp-b");

    // c is free, but a is held by kOrder: the whole batch is undone and split.
    Ticket c = Create("C");
    std::vector<events::OrderCreated> one_waits{OrderFor(c.id, "7a1b2c3d4e5f6a7b8c9d0e03"),
                                                OrderFor(a.id, "7a1b2c3d4e5f6a7b8c9d0e04")};
    EXPECT_THROW(listeners_.order_created.HandleBatch(one_waits, metas({"tp-c", "tp-a2"})),
                 bus::SplitBatch);
    EXPECT_FALSE(Stored(c.id).order_id.has_value());  // nothing of the batch was kept
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 2u);
}

TEST_F(TicketsDomainTest, OrderCreatedAfterItsOwnCancellationDoesNotReserve) {
    Ticket t = Create();
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_FALSE(Stored(t.id).IsReserved());
    EXPECT_EQ(Stored(t.id).version, 0);
    EXPECT_TRUE(Published<events::TicketUpdated>().empty());
}

// ---- order:cancelled ----

TEST_F(TicketsDomainTest, OrderCancelledReleasesAndPublishes) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_FALSE(Stored(t.id).IsReserved());
    EXPECT_EQ(Stored(t.id).version, 2);
    auto updated = Published<events::TicketUpdated>();
    ASSERT_EQ(updated.size(), 2u);
    EXPECT_EQ(updated[1], (events::TicketUpdated{t.id, 2, "Concert", 2000, kSeller, std::nullopt}));
}

TEST_F(TicketsDomainTest, CancelOfADifferentOrderLeavesTheReservation) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kNextOrder)), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).order_id, kNextOrder);
    EXPECT_EQ(Stored(t.id).version, 1);
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 1u);
}

TEST_F(TicketsDomainTest, RedeliveredOrderCancelledReleasesOnce) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}, "c1"), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}, "c1"), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).version, 2);
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 2u);
}

TEST_F(TicketsDomainTest, ReleasedTicketCanBeEditedAndReservedAgain) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    ASSERT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_EQ(service_.Update(kSeller, t.id, "Cheaper", 1500, "").version, 3);
    EXPECT_EQ(Deliver(OrderFor(t.id, kNextOrder)), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).version, 4);
    EXPECT_EQ(Stored(t.id).order_id, kNextOrder);
}

// ---- order:completed ----

TEST_F(TicketsDomainTest, OrderCompletedLeavesTheTicketReserved) {
    Ticket t = Create();
    ASSERT_EQ(Deliver(OrderFor(t.id, kOrder)), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::OrderCompleted{kOrder, 1, {t.id}}), AckDecision::kAck);
    EXPECT_EQ(Stored(t.id).order_id, kOrder);
    EXPECT_EQ(Stored(t.id).version, 1);
    EXPECT_EQ(Published<events::TicketUpdated>().size(), 1u);
}

// ---- poison events ----

TEST_F(TicketsDomainTest, OrderEventsAboutUnknownTicketsAreDeadLettered) {
    EXPECT_EQ(Deliver(OrderFor(kUnknown, kOrder)), AckDecision::kDeadLetter);
    EXPECT_EQ(Deliver(events::OrderCancelled{kOrder, 1, {kUnknown}}), AckDecision::kDeadLetter);
    EXPECT_EQ(Deliver(events::OrderCompleted{kOrder, 1, {kUnknown}}), AckDecision::kDeadLetter);
    EXPECT_TRUE(Published<events::TicketUpdated>().empty());
}

TEST_F(TicketsDomainTest, UndecodableOrderEventIsDeadLettered) {
    bus::MessageMeta meta;
    meta.consumer = "tickets-service-test";
    meta.event_id = "bad";
    EXPECT_EQ(bus_.DeliverRaw(events::kOrderCreated, R"({"id":"x"})", meta).decision,
              AckDecision::kDeadLetter);
}

}  // namespace
}  // namespace ticketing::tickets

// OrderService and the listeners on a SQLite file, with the outbox relayed to FakeBus.
#include <gtest/gtest.h>

#include "common/bus/outbox.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/http/errors.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/testing/fake_bus.hpp"
#include "common/testing/fake_clock.hpp"
#include "common/testing/process.hpp"

#include "domain/order_service.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/order_store.hpp"

namespace ticketing::orders {
namespace {

using namespace std::chrono_literals;
using bus::AckDecision;

constexpr const char* kTicket = "5f1a2b3c4d5e6f7a8b9c0d01";
constexpr const char* kBuyer = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";

std::string ErrorOf(auto call) {
    try {
        call();
    } catch (const http::HttpError& e) {
        return std::to_string(e.status()) + " " + e.what();
    }
    return "no error";
}

class OrdersDomainTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", log::Level::kError);
        db_ = db::Database::Open("sqlite://" + (dir_.Path() / "orders.db").string());
        db::RunMigrations(*db_, bus::WithBusMigrations(false, Migrations()));
        relay_ = std::make_unique<bus::OutboxRelay>(*db_, bus_, registry_);
        relay_->Start();
        service_ = std::make_unique<OrderService>(*db_, clock_, ids_, 900s, wake_);
        listeners_ = std::make_unique<Listeners>(ListenerContext{*db_, clock_, wake_});
        listeners_->SubscribeAll(bus_);
        Deliver(events::TicketCreated{kTicket, 0, "Concert", 2000, kOther});
    }

    template <class E>
    AckDecision Deliver(const E& e, std::string event_id = "") {
        bus::MessageMeta meta;
        meta.consumer = "orders-service-test";
        meta.event_id = event_id.empty() ? bus::NewEventId() : std::move(event_id);
        return bus_.Deliver(e, meta).decision;
    }

    template <class E>
    std::vector<E> Published() {
        EXPECT_TRUE(test::WaitUntil([&] { return bus::Outbox::Backlog(*db_) == 0; }, 5s));
        return bus_.Published<E>();
    }

    Order Find(const std::string& id) {
        return *db_->WithSession([&](soci::session& s) { return OrderStore::FindOrder(s, id); });
    }

    Ticket FindTicket(const std::string& id) {
        return *db_->WithSession([&](soci::session& s) { return OrderStore::FindTicket(s, id); });
    }

    test::TempDir dir_;
    test::FakeClock clock_;
    util::ObjectIdGenerator ids_{clock_};
    test::FakeBus bus_;
    metrics::Registry registry_;
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<bus::OutboxRelay> relay_;
    std::function<void()> wake_ = [this] { relay_->Wake(); };
    std::unique_ptr<OrderService> service_;
    std::unique_ptr<Listeners> listeners_;
};

// ---- OrderService ----

TEST_F(OrdersDomainTest, CreateReservesAndPublishesOrderCreated) {
    Order o = service_->Create(kBuyer, kTicket, "tp");
    EXPECT_EQ(o.status, OrderStatus::kCreated);
    EXPECT_EQ(o.version, 0);
    EXPECT_EQ(o.expires_at, clock_.Now() + 900s);
    EXPECT_EQ(o.ticket.price, 2000);
    auto published = Published<events::OrderCreated>();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0],
              (events::OrderCreated{
                  o.id, 0, OrderStatus::kCreated, kBuyer, o.expires_at, {kTicket, 2000}}));
    EXPECT_EQ(bus_.Envelopes()[0].traceparent, "tp");
}

TEST_F(OrdersDomainTest, CreateRejectsUnknownAndMalformedTicketsWith404) {
    EXPECT_EQ(ErrorOf([&] { service_->Create(kBuyer, "5f1a2b3c4d5e6f7a8b9c0dff", ""); }),
              "404 Not Found");
    EXPECT_EQ(ErrorOf([&] { service_->Create(kBuyer, "not-an-id", ""); }), "404 Not Found");
}

TEST_F(OrdersDomainTest, CreateRejectsAReservedTicket) {
    service_->Create(kBuyer, kTicket, "");
    EXPECT_EQ(ErrorOf([&] { service_->Create(kOther, kTicket, ""); }),
              "400 Ticket is already reserved");
}

TEST_F(OrdersDomainTest, CreateAfterCancellationReservesAgain) {
    Order first = service_->Create(kBuyer, kTicket, "");
    service_->Cancel(kBuyer, first.id, "");
    EXPECT_EQ(service_->Create(kOther, kTicket, "").status, OrderStatus::kCreated);
}

TEST_F(OrdersDomainTest, GetRefusesAnotherUsersOrder) {
    Order o = service_->Create(kBuyer, kTicket, "");
    EXPECT_EQ(service_->Get(kBuyer, o.id).id, o.id);
    EXPECT_EQ(ErrorOf([&] { service_->Get(kOther, o.id); }), "401 Not authorized");
    EXPECT_EQ(ErrorOf([&] { service_->Get(kBuyer, "5f1a2b3c4d5e6f7a8b9c0dff"); }), "404 Not Found");
}

TEST_F(OrdersDomainTest, CancelMarksCancelledAndPublishes) {
    Order o = service_->Create(kBuyer, kTicket, "");
    service_->Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    EXPECT_EQ(Find(o.id).version, 1);
    auto cancelled = Published<events::OrderCancelled>();
    ASSERT_EQ(cancelled.size(), 1u);
    EXPECT_EQ(cancelled[0], (events::OrderCancelled{o.id, 1, {kTicket}}));
}

TEST_F(OrdersDomainTest, CancelOfACancelledOrderChangesNothing) {
    Order o = service_->Create(kBuyer, kTicket, "");
    service_->Cancel(kBuyer, o.id, "");
    service_->Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_EQ(Published<events::OrderCancelled>().size(), 1u);
}

TEST_F(OrdersDomainTest, CancelOfACompletedOrderIsRefused) {
    Order o = service_->Create(kBuyer, kTicket, "");
    Deliver(events::PaymentCreated{"p1", o.id, "ch_1"});
    EXPECT_EQ(ErrorOf([&] { service_->Cancel(kBuyer, o.id, ""); }),
              "400 Cannot cancel a completed order");
    EXPECT_EQ(ErrorOf([&] { service_->Cancel(kOther, o.id, ""); }), "401 Not authorized");
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

TEST_F(OrdersDomainTest, TicketUpdatedForAnUnknownTicketIsRetried) {
    EXPECT_EQ(
        Deliver(events::TicketUpdated{"5f1a2b3c4d5e6f7a8b9c0dff", 1, "x", 1, kOther, std::nullopt}),
        AckDecision::kRetry);
}

// ---- expiration and payment ----

TEST_F(OrdersDomainTest, ExpirationCancelsAPendingOrderAndPublishes) {
    Order o = service_->Create(kBuyer, kTicket, "");
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    auto cancelled = Published<events::OrderCancelled>();
    ASSERT_EQ(cancelled.size(), 1u);
    EXPECT_EQ(cancelled[0].version, 1);
}

TEST_F(OrdersDomainTest, ExpirationAfterCompletionChangesNothing) {
    Order o = service_->Create(kBuyer, kTicket, "");
    EXPECT_EQ(Deliver(events::PaymentCreated{"p1", o.id, "ch_1"}), AckDecision::kAck);
    EXPECT_EQ(Deliver(events::ExpirationComplete{o.id}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kComplete);
    EXPECT_EQ(Find(o.id).version, 1);
    EXPECT_TRUE(Published<events::OrderCancelled>().empty());
    auto completed = bus_.Published<events::OrderCompleted>();
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_EQ(completed[0], (events::OrderCompleted{o.id, 1, {kTicket}}));
}

TEST_F(OrdersDomainTest, PaymentAfterCancellationDoesNotComplete) {
    Order o = service_->Create(kBuyer, kTicket, "");
    service_->Cancel(kBuyer, o.id, "");
    EXPECT_EQ(Deliver(events::PaymentCreated{"p1", o.id, "ch_1"}), AckDecision::kAck);
    EXPECT_EQ(Find(o.id).status, OrderStatus::kCancelled);
    EXPECT_TRUE(Published<events::OrderCompleted>().empty());
}

TEST_F(OrdersDomainTest, RedeliveredExpirationIsHandledOnce) {
    Order o = service_->Create(kBuyer, kTicket, "");
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

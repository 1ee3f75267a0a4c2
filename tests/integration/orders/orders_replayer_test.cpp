// OrdersReplayer against a SQLite file: the ticket replica by the version rule, the orders from
// their own events, expiration:complete and payment:created left to the events that follow them.
#include "replay/orders_replayer.hpp"

#include <gtest/gtest.h>

#include "common/events/events.hpp"
#include "common/testing/replayer_fixture.hpp"

#include "storage/migrations.hpp"
#include "storage/sql_order_repository.hpp"

namespace ticketing::orders {
namespace {

using test::Stored;

class OrdersReplayerTest : public test::ReplayerFixture<OrdersReplayer, &Migrations> {
protected:
    std::optional<Order> FindOrder(const std::string& id) {
        Write();
        return db_->WithSession([&](soci::session& s) { return SqlOrderRepository(s).Find(id); });
    }
};

TEST_F(OrdersReplayerTest, ReplicaAndOrderAreRebuiltWithTheirVersions) {
    auto expires = *util::ParseIso8601("2026-11-22T10:15:00.000Z");
    Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"}));
    EXPECT_EQ(Apply(Stored(events::TicketUpdated{"t1", 1, "Concert", 2500, "u1", {}})),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(
                  events::OrderCreated{
                      "o1", 0, events::OrderStatus::kCreated, "u2", expires, {"t1", 2500}},
                  "2026-11-22T10:00:00.125Z")),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(events::PaymentCreated{"p1", "o1", "ch_1"})), Outcome::kSkipped);
    EXPECT_EQ(Apply(Stored(events::OrderCompleted{"o1", 1, {"t1"}})), Outcome::kApplied);

    auto order = FindOrder("o1");
    ASSERT_TRUE(order.has_value());
    EXPECT_EQ(order->status, OrderStatus::kComplete);
    EXPECT_EQ(order->version, 1);
    EXPECT_EQ(order->expires_at, expires);
    EXPECT_EQ(util::FormatIso8601(order->created_at), "2026-11-22T10:00:00.125Z");
    EXPECT_EQ(order->ticket.price, 2500);
    EXPECT_EQ(order->ticket.version, 1);
}

TEST_F(OrdersReplayerTest, ExpirationCompleteIsLeftToTheOrderCancelledThatFollows) {
    Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"}));
    Apply(Stored(
        events::OrderCreated{"o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2000}}));
    EXPECT_EQ(Apply(Stored(events::ExpirationComplete{"o1"})), Outcome::kSkipped);
    EXPECT_EQ(FindOrder("o1")->status, OrderStatus::kCreated);
    EXPECT_EQ(Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}})), Outcome::kApplied);
    EXPECT_EQ(FindOrder("o1")->status, OrderStatus::kCancelled);
    EXPECT_EQ(Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}})), Outcome::kSkipped);
}

}  // namespace
}  // namespace ticketing::orders

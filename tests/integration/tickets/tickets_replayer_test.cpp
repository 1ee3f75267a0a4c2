// TicketsReplayer against a SQLite file: the tickets rebuilt from their own events, the
// cancelled orders from order:cancelled, everything else skipped; the canonical dump.
#include "replay/tickets_replayer.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "common/events/events.hpp"
#include "common/testing/replayer_fixture.hpp"

#include "storage/migrations.hpp"
#include "storage/sql_ticket_repository.hpp"

namespace ticketing::tickets {
namespace {

using test::Stored;

class TicketsReplayerTest : public test::ReplayerFixture<TicketsReplayer, &Migrations> {
protected:
    std::optional<Ticket> Find(const std::string& id) {
        Write();
        return db_->WithSession([&](soci::session& s) { return SqlTicketRepository(s).Find(id); });
    }
};

TEST_F(TicketsReplayerTest, OwnEventsRebuildTheTicketVersionByVersion) {
    EXPECT_EQ(Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"},
                           "2026-11-22T10:00:00.250Z")),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(events::TicketUpdated{"t1", 1, "Concert", 2500, "u1", {}})),
              Outcome::kApplied);
    EXPECT_EQ(Apply(Stored(events::TicketUpdated{"t1", 2, "Concert", 2500, "u1", "o1"})),
              Outcome::kApplied);

    auto t = Find("t1");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->price, 2500);
    EXPECT_EQ(t->version, 2);
    EXPECT_EQ(t->order_id, std::optional<std::string>("o1"));
    EXPECT_EQ(util::FormatIso8601(t->created_at), "2026-11-22T10:00:00.250Z");
}

TEST_F(TicketsReplayerTest, AVersionAlreadyHeldOrOutOfTurnIsSkipped) {
    Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"}));
    EXPECT_EQ(Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"})),
              Outcome::kSkipped);
    EXPECT_EQ(Apply(Stored(events::TicketUpdated{"t1", 3, "Late", 1, "u1", {}})),
              Outcome::kSkipped);
    EXPECT_EQ(Find("t1")->version, 0);
}

TEST_F(TicketsReplayerTest, OrderEventsOtherThanCancelledAreNotApplied) {
    Apply(Stored(events::TicketCreated{"t1", 0, "Concert", 2000, "u1"}));
    EXPECT_EQ(Apply(Stored(events::OrderCreated{
                  "o1", 0, events::OrderStatus::kCreated, "u2", {}, {"t1", 2000}})),
              Outcome::kSkipped);
    EXPECT_EQ(Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}})), Outcome::kApplied);
    EXPECT_FALSE(Find("t1")->order_id.has_value());  // ticket:updated carries reservations
    EXPECT_TRUE(db_->WithSession(
        [](soci::session& s) { return SqlTicketRepository(s).IsOrderCancelled("o1"); }));
}

TEST_F(TicketsReplayerTest, UndecodablePayloadThrowsDecodeError) {
    bus::StoredEvent poison{1, "ticket:created", "{not json", "id", "", ""};
    EXPECT_THROW(Apply(poison), events::DecodeError);
}

TEST_F(TicketsReplayerTest, ACompletedOrderStillHoldingItsTicketMarksItSold) {
    Apply(Stored(events::TicketCreated{"t1", 0, "A", 100, "u1"}));
    Apply(Stored(events::TicketCreated{"t2", 0, "B", 100, "u1"}));
    Apply(Stored(events::TicketUpdated{"t1", 1, "A", 100, "u1", "o1"}));
    Apply(Stored(events::TicketUpdated{"t2", 1, "B", 100, "u1", "o2"}));
    EXPECT_EQ(Apply(Stored(events::OrderCompleted{"o1", 1, {"t1"}})), Outcome::kApplied);
    Apply(Stored(events::OrderCompleted{"o9", 1, {"t2"}}));  // not the order holding t2
    Write();
    db_->WithSession([](soci::session& s) {
        EXPECT_TRUE(SqlTicketRepository(s).Find("t1")->sold);
        EXPECT_FALSE(SqlTicketRepository(s).Find("t2")->sold);
    });
}

TEST_F(TicketsReplayerTest, DumpIsOneSortedJsonLinePerRow) {
    Apply(Stored(events::TicketCreated{"t2", 0, "B", 200, "u1"}, "1970-01-01T00:00:01.000Z"));
    Apply(Stored(events::TicketCreated{"t1", 0, "A", 100, "u1"}, "1970-01-01T00:00:02.000Z"));
    Write();
    std::ostringstream out;
    db::Dump(*db_, DumpTables(), out);
    EXPECT_EQ(
        out.str(),
        R"({"table":"tickets","id":"t1","title":"A","price":100,"user_id":"u1","order_id":null,"version":0,"created_at":2000,"sold":0})"
        "\n"
        R"({"table":"tickets","id":"t2","title":"B","price":200,"user_id":"u1","order_id":null,"version":0,"created_at":1000,"sold":0})"
        "\n");
}

}  // namespace
}  // namespace ticketing::tickets

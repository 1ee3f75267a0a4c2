// PendingJobs: which expiration jobs the order events leave pending (expiration replay).
#include "replay/pending_jobs.hpp"

#include <gtest/gtest.h>

#include "common/events/events.hpp"
#include "common/testing/replayer_fixture.hpp"

namespace ticketing::expiration {
namespace {

using test::Stored;

events::OrderCreated Created(const std::string& id,
                             events::OrderStatus status = events::OrderStatus::kCreated) {
    return {id, 0, status, "u1", *util::ParseIso8601("2026-11-22T10:15:00.000Z"), {"t1", 100}};
}

std::vector<std::string> Ids(const PendingJobs& p) {
    std::vector<std::string> ids;
    for (const auto& j : p.Jobs()) {
        ids.push_back(j.order_id);
    }
    return ids;
}

TEST(PendingJobs, OrderWaitingForPaymentGetsAJobAtExpiresAtWithItsTrace) {
    PendingJobs p;
    const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    EXPECT_TRUE(p.Apply(Stored(Created("o1"), "", tp)));
    ASSERT_EQ(p.Jobs().size(), 1u);
    EXPECT_EQ(p.Jobs()[0].due, *util::ParseIso8601("2026-11-22T10:15:00.000Z"));
    EXPECT_EQ(p.Jobs()[0].traceparent, tp);
}

TEST(PendingJobs, CancelledCompletedAndExpiredOrdersLeaveNoJob) {
    PendingJobs p;
    for (auto id : {"o1", "o2", "o3", "o4"}) {
        p.Apply(Stored(Created(id)));
    }
    p.Apply(Stored(events::OrderCancelled{"o1", 1, {"t1"}}));
    p.Apply(Stored(events::OrderCompleted{"o2", 1, {"t1"}}));
    p.Apply(Stored(events::ExpirationComplete{"o3"}));
    EXPECT_EQ(Ids(p), (std::vector<std::string>{"o4"}));
}

TEST(PendingJobs, OrderCreatedAlreadyCancelledAndOtherEventsAddNothing) {
    PendingJobs p;
    EXPECT_TRUE(p.Apply(Stored(Created("o1", events::OrderStatus::kCancelled))));
    EXPECT_FALSE(p.Apply(Stored(events::TicketCreated{"t1", 0, "A", 100, "u1"})));
    EXPECT_FALSE(p.Apply(bus::StoredEvent{1, "order:created", "{broken", "id", "", ""}));
    EXPECT_TRUE(p.Jobs().empty());
}

}  // namespace
}  // namespace ticketing::expiration

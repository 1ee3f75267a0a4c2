// The pure rules of domain/ticket.hpp: who may edit, what order events do, the events' content.
#include "domain/ticket.hpp"

#include <gtest/gtest.h>

#include "common/testing/domain_errors.hpp"

namespace ticketing::tickets {
namespace {

constexpr const char* kSeller = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOrder = "7a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOtherOrder = "7a1b2c3d4e5f6a7b8c9d0e02";

Ticket Free() {
    return Ticket{"5f1a2b3c4d5e6f7a8b9c0d01", "Concert", 2000, kSeller, std::nullopt, 3, {}, false};
}

Ticket HeldBy(const std::string& order_id) {
    Ticket t = Free();
    t.order_id = order_id;
    return t;
}

TEST(CheckCanEdit, LetsTheSellerEditAFreeTicket) {
    EXPECT_EQ(test::DomainErrorOf([] { CheckCanEdit(Free(), kSeller); }), "no error");
}

TEST(CheckCanEdit, RefusesAnyoneButTheSeller) {
    EXPECT_EQ(test::DomainErrorOf([] { CheckCanEdit(Free(), "6a1b2c3d4e5f6a7b8c9d0e02"); }),
              "not owner");
}

TEST(CheckCanEdit, ChecksOwnershipBeforeTheReservation) {
    EXPECT_EQ(test::DomainErrorOf([] { CheckCanEdit(HeldBy(kOrder), "6a1b2c3d4e5f6a7b8c9d0e02"); }),
              "not owner");
}

TEST(CheckCanEdit, RefusesAReservedTicket) {
    EXPECT_EQ(test::DomainErrorOf([] { CheckCanEdit(HeldBy(kOrder), kSeller); }),
              "rule: Cannot edit a reserved ticket");
}

TEST(OnOrderCreated, ReservesAFreeTicket) {
    EXPECT_EQ(OnOrderCreated(Free(), kOrder, false), Reaction::kApply);
}

TEST(OnOrderCreated, IgnoresTheOrderThatHoldsItAlready) {
    EXPECT_EQ(OnOrderCreated(HeldBy(kOrder), kOrder, false), Reaction::kNothing);
}

TEST(OnOrderCreated, IgnoresAnOrderWhoseCancellationCameFirst) {
    EXPECT_EQ(OnOrderCreated(Free(), kOrder, true), Reaction::kNothing);
    EXPECT_EQ(OnOrderCreated(HeldBy(kOtherOrder), kOrder, true), Reaction::kNothing);
}

TEST(OnOrderCreated, WaitsWhileAnotherOrderHoldsIt) {
    EXPECT_EQ(OnOrderCreated(HeldBy(kOtherOrder), kOrder, false), Reaction::kWait);
}

TEST(OnOrderCancelled, ReleasesOnlyForTheHoldingOrder) {
    EXPECT_EQ(OnOrderCancelled(HeldBy(kOrder), kOrder), Reaction::kApply);
    EXPECT_EQ(OnOrderCancelled(HeldBy(kOtherOrder), kOrder), Reaction::kNothing);
    EXPECT_EQ(OnOrderCancelled(Free(), kOrder), Reaction::kNothing);
}

TEST(TicketEvents, CarryTheFullStateAndVersion) {
    EXPECT_EQ(CreatedEvent(Free()),
              (events::TicketCreated{"5f1a2b3c4d5e6f7a8b9c0d01", 3, "Concert", 2000, kSeller}));
    EXPECT_EQ(
        UpdatedEvent(HeldBy(kOrder)),
        (events::TicketUpdated{"5f1a2b3c4d5e6f7a8b9c0d01", 3, "Concert", 2000, kSeller, kOrder}));
    EXPECT_FALSE(UpdatedEvent(Free()).order_id.has_value());
}

}  // namespace
}  // namespace ticketing::tickets

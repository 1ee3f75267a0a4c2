// Pins the wire format of every event (DESIGN.md section 5): the exact JSON a listener in any
// language would see, and the strict decoding rules.
#include "common/events/events.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ticketing::events {
namespace {

using nlohmann::json;

template <class E>
void ExpectRoundTrip(const E& event, const char* wire) {
    EXPECT_EQ(json::parse(Encode(event)), json::parse(wire));
    EXPECT_EQ(Decode<E>(wire), event);
}

std::string DecodeErrorOf(auto decode) {
    try {
        decode();
    } catch (const DecodeError& e) {
        return e.what();
    }
    return "no error";
}

TEST(Events, SubjectsKeepTheCourseNames) {
    EXPECT_EQ(TicketCreated::kSubject.name, "ticket:created");
    EXPECT_EQ(TicketUpdated::kSubject.name, "ticket:updated");
    EXPECT_EQ(OrderCreated::kSubject.name, "order:created");
    EXPECT_EQ(OrderCancelled::kSubject.name, "order:cancelled");
    EXPECT_EQ(OrderCompleted::kSubject.name, "order:completed");
    EXPECT_EQ(ExpirationComplete::kSubject.name, "expiration:complete");
    EXPECT_EQ(PaymentCreated::kSubject.name, "payment:created");
    EXPECT_EQ(DeadLetterSubject("order:created"), "deadletter.order:created");
}

TEST(Events, TicketCreatedRoundTrip) {
    ExpectRoundTrip(TicketCreated{"t1", 0, "Concert", 2050, "u1"},
                    R"({"id":"t1","version":0,"title":"Concert","price":20.5,"userId":"u1"})");
}

TEST(Events, TicketUpdatedRoundTripWithOrderId) {
    ExpectRoundTrip(
        TicketUpdated{"t1", 1, "Concert", 1500, "u1", "o1"},
        R"({"id":"t1","version":1,"title":"Concert","price":15,"userId":"u1","orderId":"o1"})");
}

TEST(Events, TicketUpdatedOmitsOrderIdWhenFree) {
    TicketUpdated free{"t1", 2, "Concert", 1500, "u1", std::nullopt};
    auto wire = json::parse(Encode(free));
    EXPECT_FALSE(wire.contains("orderId"));
    ExpectRoundTrip(free, R"({"id":"t1","version":2,"title":"Concert","price":15,"userId":"u1"})");
}

TEST(Events, OrderCreatedRoundTrip) {
    OrderCreated e{"o1",
                   0,
                   OrderStatus::kCreated,
                   "u1",
                   *util::ParseIso8601("2026-11-22T10:15:00.000Z"),
                   {"t1", 1999}};
    ExpectRoundTrip(e, R"({"id":"o1","version":0,"status":"created","userId":"u1",
        "expiresAt":"2026-11-22T10:15:00.000Z","ticket":{"id":"t1","price":19.99}})");
}

TEST(Events, OrderCancelledRoundTrip) {
    ExpectRoundTrip(OrderCancelled{"o1", 1, {"t1"}},
                    R"({"id":"o1","version":1,"ticket":{"id":"t1"}})");
}

TEST(Events, OrderCompletedRoundTrip) {
    ExpectRoundTrip(OrderCompleted{"o1", 1, {"t1"}},
                    R"({"id":"o1","version":1,"ticket":{"id":"t1"}})");
}

TEST(Events, ExpirationCompleteRoundTrip) {
    ExpectRoundTrip(ExpirationComplete{"o1"}, R"({"orderId":"o1"})");
}

TEST(Events, PaymentCreatedRoundTrip) {
    ExpectRoundTrip(PaymentCreated{"p1", "o1", "ch_123"},
                    R"({"id":"p1","orderId":"o1","stripeId":"ch_123"})");
}

TEST(Events, DecodeIgnoresUnknownKeys) {
    auto e = Decode<ExpirationComplete>(R"({"orderId":"o1","extra":true})");
    EXPECT_EQ(e.order_id, "o1");
}

TEST(Events, DecodeNamesMissingField) {
    EXPECT_EQ(DecodeErrorOf([] {
                  Decode<TicketCreated>(R"({"id":"t1","version":0,"title":"x","price":1})");
              }),
              "userId is required");
}

TEST(Events, DecodeNamesMistypedField) {
    EXPECT_EQ(DecodeErrorOf([] {
                  Decode<TicketCreated>(
                      R"({"id":"t1","version":"0","title":"x","price":1,"userId":"u"})");
              }),
              "version must be a non-negative integer");
    EXPECT_EQ(DecodeErrorOf([] {
                  Decode<TicketCreated>(
                      R"({"id":"t1","version":0,"title":"x","price":"1","userId":"u"})");
              }),
              "price must be a number");
}

TEST(Events, DecodeNamesNestedField) {
    EXPECT_EQ(
        DecodeErrorOf([] { Decode<OrderCancelled>(R"({"id":"o1","version":1,"ticket":{}})"); }),
        "ticket.id is required");
    EXPECT_EQ(
        DecodeErrorOf([] { Decode<OrderCancelled>(R"({"id":"o1","version":1,"ticket":3})"); }),
        "ticket must be an object");
}

TEST(Events, DecodeRejectsNullOrderId) {
    EXPECT_EQ(
        DecodeErrorOf([] {
            Decode<TicketUpdated>(
                R"({"id":"t","version":1,"title":"x","price":1,"userId":"u","orderId":null})");
        }),
        "orderId must be a non-empty string when present");
}

TEST(Events, DecodeRejectsNonJsonAndNonObjects) {
    EXPECT_EQ(DecodeErrorOf([] { Decode<ExpirationComplete>("{not json"); }),
              "payload is not JSON");
    EXPECT_EQ(DecodeErrorOf([] { Decode<ExpirationComplete>("[1]"); }),
              "payload must be an object");
}

TEST(Events, DecodeRejectsUnknownStatusAndBadTime) {
    EXPECT_NE(DecodeErrorOf([] {
                  Decode<OrderCreated>(R"({"id":"o","version":0,"status":"lost","userId":"u",
                      "expiresAt":"2026-11-22T10:15:00.000Z","ticket":{"id":"t","price":1}})");
              }).find("status must be one of"),
              std::string::npos);
    EXPECT_EQ(DecodeErrorOf([] {
                  Decode<OrderCreated>(R"({"id":"o","version":0,"status":"created","userId":"u",
                      "expiresAt":"tomorrow","ticket":{"id":"t","price":1}})");
              }),
              "expiresAt must be an ISO-8601 time");
}

TEST(Events, OrderStatusNamesMatchTheContract) {
    EXPECT_EQ(ToString(OrderStatus::kAwaitingPayment), "awaiting:payment");
    EXPECT_EQ(ParseOrderStatus("complete"), OrderStatus::kComplete);
    EXPECT_FALSE(ParseOrderStatus("Complete").has_value());
}

}  // namespace
}  // namespace ticketing::events

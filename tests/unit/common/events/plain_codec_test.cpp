// Encode writes an event's JSON directly, and Decode reads its plain form directly and leaves
// everything else to nlohmann's codec (events.cpp, issue 20). These tests hold them to nlohmann's
// codec (detail::EncodeGeneral, DecodeGeneral): the same bytes when encoding, and the same outcome
// (the same event, or the same DecodeError message) when decoding: every amount up to 2000
// dollars and the bounds, strings that need escaping or are not ASCII, and payloads mutated byte
// by byte from the plain form (seeded, so a failure repeats).
#include <random>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "common/events/events.hpp"

namespace ticketing::events {
namespace {

using std::chrono::milliseconds;

util::TimePoint At(std::int64_t ms) {
    return util::TimePoint(milliseconds(ms));
}

OrderCreated AnOrder(util::Cents price) {
    return {"6650f0a1b2c3d4e5f6a7b8c9",
            3,
            OrderStatus::kCreated,
            "6650f0a1b2c3d4e5f6a7b8ca",
            At(1'790'000'000'123),
            {"6650f0a1b2c3d4e5f6a7b8cb", price}};
}

TicketUpdated ATicket(std::string title, util::Cents price, std::optional<std::string> order) {
    return {"6650f0a1b2c3d4e5f6a7b8cb",
            7,
            std::move(title),
            price,
            "6650f0a1b2c3d4e5f6a7b8cc",
            std::move(order)};
}

// What decoding gives: the event, or the error's message.
template <class E>
std::variant<E, std::string> Outcome(auto decode) {
    try {
        return decode();
    } catch (const DecodeError& e) {
        return std::string(e.what());
    }
}

template <class E>
void ExpectSameDecoding(const std::string& payload) {
    const auto plain = Outcome<E>([&] { return Decode<E>(payload); });
    const auto general = Outcome<E>([&] { return detail::DecodeGeneral<E>(payload); });
    EXPECT_EQ(plain, general) << payload;
}

template <class E>
void ExpectSameEncoding(const E& e) {
    const std::string bytes = Encode(e);
    EXPECT_EQ(bytes, detail::EncodeGeneral(e));
    ExpectSameDecoding<E>(bytes);
}

TEST(PlainCodec, EveryAmountUpTo2000DollarsIsWrittenAsNlohmannWritesIt) {
    for (util::Cents c = 0; c <= 200'000; ++c) {
        const OrderCreated e = AnOrder(c);
        ASSERT_EQ(Encode(e), detail::EncodeGeneral(e)) << c << " cents";
    }
    for (const util::Cents c : {util::kMaxPriceCents - 1,
                                util::kMaxPriceCents,
                                util::kMaxPriceCents + 1,
                                util::Cents{-1},
                                util::Cents{-2050},
                                util::Cents{1'234'567'89},
                                util::Cents{99'999'999}}) {
        ExpectSameEncoding(AnOrder(c));
    }
}

TEST(PlainCodec, EveryAmountReadBackIsTheAmountWritten) {
    for (util::Cents c = 1; c <= 200'000; c += 7) {
        const OrderCreated e = AnOrder(c);
        ASSERT_EQ(Decode<OrderCreated>(Encode(e)), e) << c << " cents";
    }
    EXPECT_EQ(Decode<OrderCreated>(Encode(AnOrder(util::kMaxPriceCents))),
              AnOrder(util::kMaxPriceCents));
}

TEST(PlainCodec, EveryEventIsWrittenAsNlohmannWritesIt) {
    ExpectSameEncoding(TicketCreated{"t1", 0, "Concert", 2050, "u1"});
    ExpectSameEncoding(ATicket("Concert", 2000, std::nullopt));
    ExpectSameEncoding(ATicket("Concert", 1999, "o1"));
    ExpectSameEncoding(AnOrder(2050));
    ExpectSameEncoding(OrderCancelled{"o1", 2, {"t1"}});
    ExpectSameEncoding(OrderCompleted{"o1", 1, {"t1"}});
    ExpectSameEncoding(ExpirationComplete{"o1"});
    ExpectSameEncoding(PaymentCreated{"p1", "o1", "ch_3Nabc"});
    ExpectSameEncoding(SessionRevoked{"jti-1", "u1", At(1'790'000'000'000)});
    for (const std::int64_t v : {std::int64_t{0}, std::int64_t{-5}, INT64_MAX, INT64_MIN}) {
        ExpectSameEncoding(TicketCreated{"t1", v, "Concert", 2050, "u1"});
    }
}

TEST(PlainCodec, TextThatNeedsEscapingOrIsNotAsciiIsWrittenAndReadAsNlohmannDoes) {
    for (const std::string& title : std::vector<std::string>{"A \"quoted\" title",
                                                             "back\\slash",
                                                             "tab\there",
                                                             "new\nline",
                                                             "bell\x07",
                                                             "del\x7f",
                                                             "caf\xc3\xa9 \xe2\x82\xac 5",
                                                             "bad utf-8 \xff\xfe",
                                                             std::string("nul\0in", 6),
                                                             "/ok/",
                                                             "{\"id\":\"x\"}",
                                                             "emoji \xf0\x9f\x8e\xab"}) {
        ExpectSameEncoding(ATicket(title, 2050, std::nullopt));
        ExpectSameEncoding(TicketCreated{"t1", 1, title, 2050, "u1"});
    }
}

TEST(PlainCodec, PayloadsOutsideThePlainFormAreDecidedAsBefore) {
    for (const std::string& payload : std::vector<std::string>{
             // spaces, a duplicate key (nlohmann keeps the last), escapes, literals, arrays
             R"( {"orderId":"o1"})",
             R"({"orderId":"o1"} )",
             R"({ "orderId" : "o1" })",
             R"({"orderId":"o1","orderId":"o2"})",
             R"({"orderId":"o\u0031"})",
             R"({"orderId":"o1","extra":[1,2]})",
             R"({"orderId":"o1","extra":true})",
             R"({"orderId":null})",
             R"({"orderId":""})",
             R"({"orderId":1})",
             R"({"orderId":{"id":"o1"}})",
             R"({"orderId":"o1","deep":{"a":{"b":{}}}})",
             R"({})",
             R"([])",
             R"("o1")",
             R"()",
             R"({"orderId":"o1"}{})",
             R"({"orderId":"o1",})",
             R"({"orderId":"o1")",
         }) {
        ExpectSameDecoding<ExpirationComplete>(payload);
    }
    const std::string head = R"({"id":"t1","title":"Concert","userId":"u1",)";
    for (const std::string& tail : std::vector<std::string>{
             R"("price":20.5,"version":0})",
             R"("price":20.50,"version":0})",
             R"("price":20.505,"version":0})",
             R"("price":20,"version":0})",
             R"("price":0,"version":0})",
             R"("price":0.0,"version":0})",
             R"("price":0.01,"version":0})",
             R"("price":-5,"version":0})",
             R"("price":1e2,"version":0})",
             R"("price":2.05E1,"version":0})",
             R"("price":1000000,"version":0})",
             R"("price":1000000.01,"version":0})",
             R"("price":100000000000000000000,"version":0})",
             R"("price":0.30000000000000004,"version":0})",
             R"("price":123456789012345.6,"version":0})",
             R"("price":"20.5","version":0})",
             R"("price":20.5,"version":-0})",
             R"("price":20.5,"version":-1})",
             R"("price":20.5,"version":1.0})",
             R"("price":20.5,"version":01})",
             R"("price":20.5,"version":9223372036854775807})",
             R"("price":20.5,"version":9223372036854775808})",
             R"("price":20.5,"version":18446744073709551615})",
             R"("price":20.5,"version":999999999999999999})",
             R"("price":20.5,"version":"1"})",
             R"("price":20.5})",
         }) {
        ExpectSameDecoding<TicketUpdated>(head + tail);
    }
    const std::string order = Encode(AnOrder(2050));
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"2026-09-21T14:13:20.123Z", "2026-09-21T14:13:20Z"},
             {"2026-09-21T14:13:20.123Z", "2026-09-21 14:13:20"},
             {"2026-09-21T14:13:20.123Z", "yesterday"},
             {"\"created\"", "\"shipped\""},
             {"\"created\"", "\"complete\""},
             {"\"ticket\":{", "\"ticket\":{\"x\":1,"},
         }) {
        std::string p = order;
        p.replace(p.find(from), from.size(), to);
        ExpectSameDecoding<OrderCreated>(p);
    }
}

// Every single-byte change, insertion and deletion of the plain form of order:created and
// ticket:updated, and a few thousand random multi-byte ones, decode alike on both paths.
TEST(PlainCodec, MutatedPayloadsDecodeAlikeOnBothPaths) {
    const std::string alphabet = "{}[]:,\"\\ 0123456789.-+eEnulltruefals\x01\x7f\xc3";
    const std::vector<std::string> seeds = {Encode(AnOrder(2050)),
                                            Encode(ATicket("Concert", 1999, "o1"))};
    for (const auto& seed : seeds) {
        for (std::size_t i = 0; i < seed.size(); ++i) {
            std::string deleted = seed;
            deleted.erase(i, 1);
            ExpectSameDecoding<OrderCreated>(deleted);
            ExpectSameDecoding<TicketUpdated>(deleted);
            for (const char c : alphabet) {
                std::string replaced = seed;
                replaced[i] = c;
                ExpectSameDecoding<OrderCreated>(replaced);
                ExpectSameDecoding<TicketUpdated>(replaced);
                std::string inserted = seed;
                inserted.insert(i, 1, c);
                ExpectSameDecoding<OrderCreated>(inserted);
            }
        }
    }
    std::mt19937 rng(20);
    for (int n = 0; n < 5000; ++n) {
        std::string p = seeds[static_cast<std::size_t>(n) % seeds.size()];
        const int changes = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < changes && !p.empty(); ++k) {
            p[rng() % p.size()] = alphabet[rng() % alphabet.size()];
        }
        ExpectSameDecoding<OrderCreated>(p);
        ExpectSameDecoding<TicketUpdated>(p);
    }
}

}  // namespace
}  // namespace ticketing::events

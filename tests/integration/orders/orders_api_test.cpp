// The orders service over real HTTP with a real nats-server and both databases: its routes in
// the contract's order of checks, its replica fed from the stream, and its reactions to
// expirations and payments, observed in the TICKETING stream.
#include <future>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/auth/session.hpp"
#include "common/bus/connection.hpp"
#include "common/bus/outbox.hpp"
#include "common/bus/publisher.hpp"
#include "common/bus/subscriber.hpp"
#include "common/db/migrations.hpp"
#include "common/db/sql.hpp"
#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/http_client.hpp"
#include "common/testing/postgres_server.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"
#include "common/testing/session_keys.hpp"
#include "common/testing/stream_reader.hpp"
#include "common/util/ids.hpp"

#include "assembly.hpp"
#include "domain/order_service.hpp"
#include "handlers/handlers.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_order_repository.hpp"

namespace ticketing::orders {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::HttpClient;

constexpr const char* kBuyer = "6a1b2c3d4e5f6a7b8c9d0e01";
constexpr const char* kOther = "6a1b2c3d4e5f6a7b8c9d0e02";

class OrdersApiTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        builder_ = std::make_unique<service::ServiceBuilder>(
            test::EmbeddedServiceConfig(
                "orders", nats_.Url(), test::TestDatabaseUrl(GetParam(), dir_, "orders")),
            "orders-service",
            service::ServiceBuilder::Mode::kEmbedded);
        builder_->UseClock(clock_);
        service_ = &Assemble(*builder_, {});
        builder_->Start();
        db_ = &builder_->db();
        publisher_ = &builder_->publisher();
        session_ = test::TestSessionSettings(clock_);
        base_ = "http://127.0.0.1:" + std::to_string(builder_->port());
        client_ = std::make_unique<HttpClient>(base_);
    }

    // Stops the service in the builder's order (HTTP, subscriptions, relay), then frees it.
    void TearDown() override {
        builder_.reset();
    }

    test::Headers As(const std::string& user_id) { return test::SessionCookie(user_id, session_); }

    template <class E>
    void Publish(const E& e) {
        ASSERT_TRUE(
            publisher_->Publish(bus::MakeEnvelope(e, bus::NewEventId(), {"", clock_.Now()})));
    }

    std::optional<Ticket> Replica(const std::string& id) {
        return db_->WithSession(
            [&](soci::session& s) { return SqlTicketReplicaRepository(s).Find(id); });
    }

    // A ticket known to the orders service (its ticket:created went through the stream).
    std::string KnownTicket(util::Cents price = 2000) {
        std::string id = ids_.NewId();
        Publish(events::TicketCreated{id, 0, "Concert " + id.substr(20), price, kOther});
        EXPECT_TRUE(test::WaitUntil([&] { return Replica(id).has_value(); }, 10s));
        return id;
    }

    json CreateOrder(const std::string& ticket_id, const std::string& user = kBuyer) {
        auto r = client_->Post("/api/orders", json{{"ticketId", ticket_id}}.dump(), As(user));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json();
    }

    std::vector<test::StoredMessage> Stream(const std::string& subject) {
        return test::ReadSubject(nats_.Url(), "TICKETING", subject);
    }

    bool WaitForStream(const std::string& subject, std::size_t count) {
        return test::WaitUntil([&] { return Stream(subject).size() >= count; }, 10s);
    }

    json Status(const std::string& order_id) {
        return client_->Get("/api/orders/" + order_id, As(kBuyer)).Json()["status"];
    }

    test::TempDir dir_;
    test::NatsServer nats_;
    util::SystemClock clock_;
    util::ObjectIdGenerator ids_{clock_};
    std::unique_ptr<service::ServiceBuilder> builder_;  // the service as its main builds it
    db::Database* db_ = nullptr;
    bus::EventPublisher* publisher_ = nullptr;
    OrderService* service_ = nullptr;
    auth::SessionSettings session_;
    std::string base_;
    std::unique_ptr<HttpClient> client_;
};

TEST_P(OrdersApiTest, RoutesNeedASignedInUser) {
    EXPECT_EQ(client_->Post("/api/orders", R"({"ticketId":"x"})").status, 401);
    EXPECT_EQ(client_->Get("/api/orders").status, 401);
    EXPECT_EQ(client_->Get("/api/orders/5f1a2b3c4d5e6f7a8b9c0d01").status, 401);
    EXPECT_EQ(client_->Delete("/api/orders/5f1a2b3c4d5e6f7a8b9c0d01").status, 401);
}

TEST_P(OrdersApiTest, CreateRequiresTicketId) {
    auto r = client_->Post("/api/orders", "{}", As(kBuyer));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        r.Json(),
        json::parse(R"({"errors":[{"message":"TicketId must be provided","field":"ticketId"}]})"));
    EXPECT_EQ(client_->Post("/api/orders", R"({"ticketId":42})", As(kBuyer)).status, 400);
}

TEST_P(OrdersApiTest, CreateWithUnknownTicketIs404) {
    EXPECT_EQ(client_->Post("/api/orders", R"({"ticketId":"5f1a2b3c4d5e6f7a8b9c0dff"})", As(kBuyer))
                  .status,
              404);
    EXPECT_EQ(client_->Post("/api/orders", R"({"ticketId":"garbage"})", As(kBuyer)).status, 404);
}

TEST_P(OrdersApiTest, CreateReservesAndPublishesOrderCreated) {
    auto ticket = KnownTicket(1999);
    const auto before = clock_.Now();
    auto order = CreateOrder(ticket);
    const auto after = clock_.Now();
    EXPECT_EQ(order["status"], "created");
    EXPECT_EQ(order["version"], 0);
    EXPECT_EQ(order["userId"], kBuyer);
    EXPECT_EQ(order["ticket"],
              (json{{"id", ticket},
                    {"title", "Concert " + ticket.substr(20)},
                    {"price", 19.99},
                    {"version", 0}}));
    auto expires = util::ParseIso8601(order["expiresAt"].get<std::string>());
    ASSERT_TRUE(expires.has_value());
    // The window from the service's clock, read during the request (expiresAt keeps
    // milliseconds).
    EXPECT_GE(*expires, std::chrono::floor<std::chrono::milliseconds>(before) + 900s);
    EXPECT_LE(*expires, after + 900s);
    ASSERT_TRUE(WaitForStream("order:created", 1));
    auto e = events::Decode<events::OrderCreated>(Stream("order:created")[0].payload);
    EXPECT_EQ(e.id, order["id"]);
    EXPECT_EQ(e.ticket.price, 1999);
}

TEST_P(OrdersApiTest, CreateOnAReservedTicketIs400) {
    auto ticket = KnownTicket();
    CreateOrder(ticket);
    auto r = client_->Post("/api/orders", json{{"ticketId", ticket}}.dump(), As(kOther));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Json(), json::parse(R"({"errors":[{"message":"Ticket is already reserved"}]})"));
}

TEST_P(OrdersApiTest, FiftyConcurrentOrdersForOneTicketGiveExactlyOne201) {
    auto ticket = KnownTicket();
    std::vector<std::future<long>> results;
    for (int i = 0; i < 50; ++i) {
        results.push_back(std::async(std::launch::async, [&, i] {
            HttpClient c(base_);
            std::string user = "6a1b2c3d4e5f6a7b8c9d" + std::to_string(1000 + i);
            return c.Post("/api/orders", json{{"ticketId", ticket}}.dump(), As(user)).status;
        }));
    }
    std::multiset<long> statuses;
    for (auto& f : results) {
        statuses.insert(f.get());
    }
    EXPECT_EQ(statuses.count(201), 1u);
    EXPECT_EQ(statuses.count(400), 49u);
}

TEST_P(OrdersApiTest, ListReturnsOnlyTheCallersOrdersOldestFirst) {
    auto t1 = KnownTicket(), t2 = KnownTicket(), t3 = KnownTicket();
    auto o1 = CreateOrder(t1, kBuyer);
    CreateOrder(t2, kOther);
    auto o3 = CreateOrder(t3, kBuyer);
    auto list = client_->Get("/api/orders", As(kBuyer)).Json();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["id"], o1["id"]);
    EXPECT_EQ(list[1]["id"], o3["id"]);
    EXPECT_EQ(list[1]["ticket"]["id"], t3);
}

TEST_P(OrdersApiTest, ShowReturnsOwnOrderAnd401ForAnotherUsersOrder) {
    auto order = CreateOrder(KnownTicket());
    std::string path = "/api/orders/" + order["id"].get<std::string>();
    auto mine = client_->Get(path, As(kBuyer));
    EXPECT_EQ(mine.status, 200);
    EXPECT_EQ(mine.Json(), order);
    EXPECT_EQ(client_->Get(path, As(kOther)).status, 401);
    EXPECT_EQ(client_->Get("/api/orders/5f1a2b3c4d5e6f7a8b9c0dff", As(kBuyer)).status, 404);
}

TEST_P(OrdersApiTest, DeleteCancelsAndPublishesOnce) {
    auto order = CreateOrder(KnownTicket());
    std::string path = "/api/orders/" + order["id"].get<std::string>();
    EXPECT_EQ(client_->Delete(path, As(kOther)).status, 401);
    EXPECT_EQ(client_->Delete(path, As(kBuyer)).status, 204);
    EXPECT_EQ(client_->Delete(path, As(kBuyer)).status, 204);  // no change, no event
    auto shown = client_->Get(path, As(kBuyer)).Json();
    EXPECT_EQ(shown["status"], "cancelled");
    EXPECT_EQ(shown["version"], 1);
    ASSERT_TRUE(WaitForStream("order:cancelled", 1));
    EXPECT_EQ(Stream("order:cancelled").size(), 1u);
}

TEST_P(OrdersApiTest, ReplicaFollowsTicketUpdatesAndIgnoresASkippedVersion) {
    auto ticket = KnownTicket();
    Publish(events::TicketUpdated{ticket, 1, "Updated", 5000, kOther, std::nullopt});
    ASSERT_TRUE(test::WaitUntil([&] { return Replica(ticket)->version == 1; }, 10s));
    EXPECT_EQ(Replica(ticket)->title, "Updated");
    auto marker = KnownTicket();
    Publish(events::TicketUpdated{ticket, 3, "Skipped", 7000, kOther, std::nullopt});
    Publish(events::TicketUpdated{ticket, 1, "Duplicate", 1, kOther, std::nullopt});
    // One consumer takes ticket:updated in stream order: once the marker's update is applied,
    // the two events above have been handled.
    Publish(events::TicketUpdated{marker, 1, "Marker", 1000, kOther, std::nullopt});
    ASSERT_TRUE(test::WaitUntil([&] { return Replica(marker)->version == 1; }, 10s));
    // Version 3 waits for 2, which never comes, and the duplicate changed nothing.
    EXPECT_EQ(Replica(ticket)->version, 1);
    EXPECT_EQ(Replica(ticket)->title, "Updated");
}

TEST_P(OrdersApiTest, ReplicaConvergesWhenV2ArrivesBeforeV1) {
    auto ticket = KnownTicket();
    Publish(events::TicketUpdated{ticket, 2, "Two", 2000, kOther, std::nullopt});
    Publish(events::TicketUpdated{ticket, 1, "One", 1000, kOther, "5f1a2b3c4d5e6f7a8b9c0d99"});
    ASSERT_TRUE(test::WaitUntil([&] { return Replica(ticket)->version == 2; }, 15s));
    EXPECT_EQ(Replica(ticket)->title, "Two");
}

TEST_P(OrdersApiTest, ExpirationCancelsAndPublishes) {
    auto order = CreateOrder(KnownTicket());
    std::string id = order["id"];
    Publish(events::ExpirationComplete{id});
    ASSERT_TRUE(test::WaitUntil([&] { return Status(id) == "cancelled"; }, 10s));
    ASSERT_TRUE(WaitForStream("order:cancelled", 1));
    auto e = events::Decode<events::OrderCancelled>(Stream("order:cancelled")[0].payload);
    EXPECT_EQ(e.id, id);
    EXPECT_EQ(e.version, 1);
}

TEST_P(OrdersApiTest, CompletedOrderIsNotCancelledByALateExpiration) {
    auto order = CreateOrder(KnownTicket());
    std::string id = order["id"];
    Publish(events::PaymentCreated{"5f1a2b3c4d5e6f7a8b9c0d77", id, "ch_1"});
    ASSERT_TRUE(test::WaitUntil([&] { return Status(id) == "complete"; }, 10s));
    ASSERT_TRUE(WaitForStream("order:completed", 1));
    Publish(events::ExpirationComplete{id});
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "orders-service-expiration-complete") == 0;
        },
        10s));
    EXPECT_EQ(Status(id), "complete");
    EXPECT_TRUE(Stream("order:cancelled").empty());
    auto del = client_->Delete("/api/orders/" + id, As(kBuyer));
    EXPECT_EQ(del.status, 400);
    EXPECT_EQ(del.Json()["errors"][0]["message"], "Cannot cancel a completed order");
}

TEST_P(OrdersApiTest, PaymentAfterCancellationDoesNotComplete) {
    auto order = CreateOrder(KnownTicket());
    std::string id = order["id"];
    EXPECT_EQ(client_->Delete("/api/orders/" + id, As(kBuyer)).status, 204);
    Publish(events::PaymentCreated{"5f1a2b3c4d5e6f7a8b9c0d78", id, "ch_2"});
    ASSERT_TRUE(test::WaitUntil(
        [&] {
            return test::ConsumerBacklog(
                       nats_.Url(), "TICKETING", "orders-service-payment-created") == 0;
        },
        10s));
    EXPECT_EQ(Status(id), "cancelled");
    EXPECT_TRUE(Stream("order:completed").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends,
                         OrdersApiTest,
                         ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ticketing::orders

// Replay end to end (issue 10): after a workload through the ingress (tickets created, edited,
// reserved, cancelled, expired, paid), each service's database is deleted and rebuilt from the
// event log by the run command's `replay`, and its canonical dump equals the one taken before,
// row for row and version for version; a second replay gives the same; live traffic carries on;
// the expiration jobs lost with Redis's data come back.
#include <fstream>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

#include "stack.hpp"

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kWindowSeconds = 4;

class ReplayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        stack_ = new LocalStack(StackOptions{.expiration_window_seconds = kWindowSeconds});
    }
    static void TearDownTestSuite() {
        delete stack_;
        stack_ = nullptr;
    }

    struct User {
        Headers cookie;
    };

    User SignUp(const std::string& email) {
        auto r = client_.Post("/api/users/signup",
                              json{{"email", email}, {"password", "password123"}}.dump());
        EXPECT_EQ(r.status, 201) << r.body;
        return {{{"Cookie", CookiePair(r, "session")}}};
    }

    std::string CreateTicket(const User& u, int n) {
        auto r =
            client_.Post("/api/tickets",
                         json{{"title", "Show " + std::to_string(n)}, {"price", 10 + n}}.dump(),
                         u.cookie);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json().value("id", "");
    }

    // Retries while the service that must know `path`'s subject has not heard of it yet (404).
    HttpResult PostWhenKnown(const std::string& path, const json& body, const User& u) {
        HttpResult r;
        WaitUntil(
            [&] {
                r = client_.Post(path, body.dump(), u.cookie);
                return r.status != 404;
            },
            20s);
        return r;
    }

    std::string Status(const User& u, const std::string& order_id) {
        auto r = client_.Get("/api/orders/" + order_id, u.cookie);
        return r.status == 200 ? r.Json().value("status", "") : "";
    }

    // Every consumer has nothing pending and every outbox is empty.
    bool Quiet() {
        std::string out;
        if (stack_->Run({"status", "--json"}, &out) != 0) {
            return false;
        }
        auto j = json::parse(out.substr(out.find('{')), nullptr, false);
        if (j.is_discarded()) {
            return false;
        }
        for (const auto& c : j["consumers"]) {
            if (c.value("pending", 1) != 0 || c.value("ack_pending", 1) != 0) {
                return false;
            }
        }
        for (const auto& r : j["replicas"]) {
            if (r["outbox_backlog"] != "-" && r["outbox_backlog"] != "0") {
                return false;
            }
        }
        return true;
    }

    std::string Dump(const std::string& service) {
        std::string out;
        EXPECT_EQ(stack_->Run({"dump", service}, &out), 0) << out;
        std::istringstream in(out);
        std::string line, rows;
        while (std::getline(in, line)) {
            if (line.starts_with("{\"table\"")) {
                rows += line + "\n";
            }
        }
        return rows;
    }

    // Stops the service, deletes its database, replays it (the run command restarts it).
    void DeleteAndReplay(const std::string& service) {
        std::string out;
        ASSERT_EQ(SupervisorCtl({"stop", service + "-0"}), 0);
        for (const char* suffix : {".db", ".db-wal", ".db-shm"}) {
            std::filesystem::remove(stack_->DataDir() / (service + suffix));
        }
        ASSERT_EQ(stack_->Run({"replay", service}, &out), 0) << out;
        EXPECT_NE(out.find("replay of " + service + " done"), std::string::npos) << out;
    }

    int SupervisorCtl(const std::vector<std::string>& args) {
        ChildProcess::Options o;
        o.argv = {"supervisorctl", "-c", (stack_->DataDir() / "run" / "supervisord.conf").string()};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        ChildProcess p(o);
        return p.Wait(60s).value_or(-1);
    }

    static LocalStack* stack_;
    HttpClient client_{stack_->IngressUrl()};
};

LocalStack* ReplayTest::stack_ = nullptr;

TEST_F(ReplayTest, EachServiceRebuiltFromTheLogEqualsTheOriginalAndLiveTrafficCarriesOn) {
    User seller = SignUp("seller@example.com");
    User buyer = SignUp("buyer@example.com");
    std::vector<std::string> tickets;
    for (int n = 0; n < 5; ++n) {
        tickets.push_back(CreateTicket(seller, n));
        auto edit = client_.Put(
            "/api/tickets/" + tickets.back(),
            json{{"title", "Show " + std::to_string(n) + " (moved)"}, {"price", 20 + n}}.dump(),
            seller.cookie);
        ASSERT_EQ(edit.status, 200) << edit.body;
    }
    std::vector<std::string> orders;
    for (int n = 0; n < 4; ++n) {
        auto r = PostWhenKnown("/api/orders", {{"ticketId", tickets[n]}}, buyer);
        ASSERT_EQ(r.status, 201) << r.body;
        orders.push_back(r.Json().value("id", ""));
    }
    // 0 and 3 paid, 1 cancelled by the buyer, 2 left to expire; ticket 4 stays free.
    for (int n : {0, 3}) {
        auto r =
            PostWhenKnown("/api/payments", {{"token", "tok_visa"}, {"orderId", orders[n]}}, buyer);
        ASSERT_EQ(r.status, 201) << r.body;
    }
    ASSERT_EQ(client_.Delete("/api/orders/" + orders[1], buyer.cookie).status, 204);
    auto settled = [&] {
        return Status(buyer, orders[0]) == "complete" && Status(buyer, orders[3]) == "complete" &&
               Status(buyer, orders[1]) == "cancelled" && Status(buyer, orders[2]) == "cancelled";
    };
    ASSERT_TRUE(WaitUntil(settled, std::chrono::seconds(kWindowSeconds + 30)));
    ASSERT_TRUE(WaitUntil([&] { return Quiet(); }, 30s));

    for (const std::string service : {"tickets", "orders", "payments"}) {
        SCOPED_TRACE(service);
        std::string before = Dump(service);
        ASSERT_FALSE(before.empty());
        DeleteAndReplay(service);
        EXPECT_EQ(Dump(service), before);
        std::string out;
        ASSERT_EQ(stack_->Run({"replay", service}, &out), 0) << out;
        EXPECT_EQ(Dump(service), before) << "a second replay changed the database";
    }

    // Live traffic after the replays: the free ticket and a new one sell and complete.
    for (const auto& ticket : {tickets[4], CreateTicket(seller, 9)}) {
        auto order = PostWhenKnown("/api/orders", {{"ticketId", ticket}}, buyer);
        ASSERT_EQ(order.status, 201) << order.body;
        std::string id = order.Json().value("id", "");
        auto paid = PostWhenKnown("/api/payments", {{"token", "tok_visa"}, {"orderId", id}}, buyer);
        ASSERT_EQ(paid.status, 201) << paid.body;
        EXPECT_TRUE(WaitUntil([&] { return Status(buyer, id) == "complete"; }, 20s));
    }
}

TEST_F(ReplayTest, ExpirationJobsLostWithRedisComeBackAndFire) {
    User seller = SignUp("seller2@example.com");
    User buyer = SignUp("buyer2@example.com");
    std::string ticket = CreateTicket(seller, 1);
    auto order = PostWhenKnown("/api/orders", {{"ticketId", ticket}}, buyer);
    ASSERT_EQ(order.status, 201) << order.body;
    std::string id = order.Json().value("id", "");
    ASSERT_TRUE(WaitUntil([&] { return Quiet(); }, 20s));  // expiration has scheduled the job

    ASSERT_EQ(SupervisorCtl({"stop", "expiration-0"}), 0);
    ChildProcess::Options flush_options;
    flush_options.argv = {"redis-cli", "-p", std::to_string(stack_->IngressPort() + 10), "FLUSHALL"};
    flush_options.env = {{"REDISCLI_AUTH", stack_->Secret("redis-default")}};
    ChildProcess flush(flush_options);
    ASSERT_EQ(flush.Wait(20s), 0);
    std::string out;
    ASSERT_EQ(stack_->Run({"replay", "expiration"}, &out), 0) << out;
    EXPECT_NE(out.find("1 scheduled"), std::string::npos) << out;

    EXPECT_TRUE(WaitUntil([&] { return Status(buyer, id) == "cancelled"; },
                          std::chrono::seconds(kWindowSeconds + 20)));
}

TEST_F(ReplayTest, AuthSaysItsRecordsAreNotInTheLog) {
    std::string out;
    EXPECT_NE(stack_->Run({"replay", "auth"}, &out), 0);
    EXPECT_NE(out.find("user records are not in the event log"), std::string::npos) << out;
}

TEST_F(ReplayTest, ReplayIsRefusedWhileTheServiceRuns) {
    std::vector<std::string> env_args;
    ChildProcess::Options o;
    o.argv = {
        (std::filesystem::path(TICKETING_BUILD_DIR) / "tickets" / "ticketing-tickets").string(),
        "replay"};
    o.env = {{"NATS_URL", stack_->NatsUrl()},
             {"DATABASE_URL", "sqlite://" + (stack_->DataDir() / "tickets.db").string()}};
    ChildProcess replay(o);
    EXPECT_EQ(replay.Wait(60s), 1);
    EXPECT_NE(replay.ReadLog().find("refused, the service is running"), std::string::npos)
        << replay.ReadLog();
}

}  // namespace
}  // namespace ticketing::test

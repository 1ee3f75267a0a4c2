// The container images for real (issue 19): the stack started by the README's run command with
// --containers, so every service runs from the image scripts/images.sh built (ctest fixture
// Container.Images), as the Kubernetes manifests run it: the image's non-root user, a read-only
// root filesystem with a writable data volume, no capabilities; nats-server, Redis and PostgreSQL
// beside it on loopback. Checked: each container's restrictions from inside and from podman,
// /readyz of each, then the user's journey through the project's ingress (sign up, sell, buy,
// pay, and an unpaid order that expires).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/testing/http_client.hpp"
#include "common/testing/process.hpp"

#include "stack_environment.hpp"

namespace ticketing::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kWindowSeconds = 6;  // the reservation window of this stack
const std::vector<std::string> kServices = {"auth", "tickets", "orders", "expiration", "payments"};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(
    new StackEnvironment(StackOptions{.replicas = 1,
                                      .postgres = true,
                                      .containers = true,
                                      .expiration_window_seconds = kWindowSeconds}));

struct Outcome {
    int code = -1;
    std::string output;
};

// Runs podman with the project's containers.conf (as scripts/run.sh does).
Outcome Podman(std::vector<std::string> args) {
    static TempDir logs("ticketing-podman-");
    static int runs = 0;
    ChildProcess::Options o;
    o.argv = {"podman"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {{"CONTAINERS_CONF",
              std::string(TICKETING_SOURCE_DIR) + "/infra/containers/containers.conf"}};
    o.log_file = logs.Path() / ("podman-" + std::to_string(++runs) + ".log");
    ChildProcess child(o);
    Outcome out;
    out.code = child.Wait(60s).value_or(-1);
    out.output = child.ReadLog();
    return out;
}

std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

class ContainerTest : public StackJourneyTest {
protected:
    static std::string ContainerName(const std::string& svc) {
        return "ticketing-" + std::to_string(StackEnvironment::Stack()->IngressPort()) + "-" +
               svc + "-0";
    }
};

TEST_F(ContainerTest, EveryServiceRunsFromItsImageRestrictedAsTheManifestsSay) {
    for (const auto& svc : kServices) {
        SCOPED_TRACE(svc);
        const std::string name = ContainerName(svc);
        auto inspect = Podman({"container", "inspect", name});
        ASSERT_EQ(inspect.code, 0) << inspect.output;
        json c = json::parse(inspect.output).at(0);
        // The manifests' image (infra/k8s: ticketing/<svc>:<version>), fully qualified.
        EXPECT_EQ(c["ImageName"], "docker.io/ticketing/" + svc + ":" + TICKETING_VERSION);
        EXPECT_TRUE(c["State"].value("Running", false));
        EXPECT_EQ(c["Config"].value("User", ""), "10001:10001");
        EXPECT_TRUE(c["HostConfig"].value("ReadonlyRootfs", false));

        // From inside: the process is not root, holds no capability, cannot write its root
        // filesystem and can write its data volume.
        auto uid = Podman({"exec", name, "id", "-u"});
        EXPECT_EQ(uid.code, 0) << uid.output;
        EXPECT_EQ(Trim(uid.output), "10001");
        auto caps = Podman({"exec", name, "grep", "^CapEff:", "/proc/1/status"});
        EXPECT_EQ(caps.code, 0) << caps.output;
        EXPECT_NE(caps.output.find("0000000000000000"), std::string::npos) << caps.output;
        auto root_write = Podman({"exec", name, "touch", "/usr/local/bin/probe"});
        EXPECT_NE(root_write.code, 0) << "the root filesystem is writable";
        EXPECT_NE(root_write.output.find("Read-only file system"), std::string::npos)
            << root_write.output;
        auto volume_write = Podman({"exec", name, "touch", "/var/lib/ticketing/probe"});
        EXPECT_EQ(volume_write.code, 0) << volume_write.output;
        // The service runs on jemalloc (the image preloads it), as in the local stack.
        auto maps = Podman({"exec", name, "grep", "-c", "libjemalloc", "/proc/1/maps"});
        EXPECT_EQ(maps.code, 0) << "jemalloc is not mapped in the service: " << maps.output;

        // /readyz on the port the container was given.
        std::string port;
        for (const auto& kv : c["Config"]["Env"]) {
            std::string e = kv.get<std::string>();
            if (e.starts_with("HTTP_PORT=")) {
                port = e.substr(10);
            }
        }
        ASSERT_FALSE(port.empty());
        HttpClient direct("http://127.0.0.1:" + port);
        auto ready = direct.Get("/readyz");
        EXPECT_EQ(ready.status, 200) << ready.body;
    }
}

TEST_F(ContainerTest, SellerSellsBuyerBuysAndPaysAndTheOrderCompletes) {
    SellBuyAndPay("Concert in a container", 20);
}

TEST_F(ContainerTest, UnpaidOrderExpiresAndTheTicketIsForSaleAgain) {
    OrderExpiresAndTheTicketSellsAgain("Game in a container", std::chrono::seconds(kWindowSeconds));
}

}  // namespace
}  // namespace ticketing::test

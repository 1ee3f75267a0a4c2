// Where ServiceBuilder runs a route that reads one row, and one whose write SQLite queues
// (issue 20): HTTP_INLINE_READS "auto" puts the reads on the HTTP I/O threads when the database
// is on this machine (SQLite; the harness's PostgreSQL on 127.0.0.1), "on" and "off" force it;
// the queued writes run inline on SQLite only (on PostgreSQL a POST runs its transaction, which
// must not hold an I/O thread). A database across the network is told apart by its URL
// (ParseDatabaseUrlTest.TellsADatabaseOnThisMachineFromOneAcrossTheNetwork): "auto" then gives
// the workers, since `on_this_machine()` is false.
#include <string>

#include <gtest/gtest.h>

#include "common/db/database.hpp"
#include "common/http/router.hpp"
#include "common/service/service_builder.hpp"
#include "common/testing/embedded_service.hpp"
#include "common/testing/process.hpp"

namespace ticketing::service {
namespace {

using http::Dispatch;

class ReadDispatchTest : public ::testing::TestWithParam<std::string> {
protected:
    struct Dispatches {
        bool on_this_machine = false;
        Dispatch reads = Dispatch::kWorker;
        Dispatch queued_writes = Dispatch::kInline;
    };

    // A builder with the service's database open (no bus: dispatch needs only the database).
    Dispatches With(const std::string& setting) {
        config::CommonConfig cfg = test::EmbeddedServiceConfig(
            "dispatch", "", test::TestDatabaseUrl(GetParam(), dir_, "dispatch"));
        cfg.http_inline_reads = setting;
        ServiceBuilder b(cfg, "dispatch", ServiceBuilder::Mode::kEmbedded);
        b.OpenDatabase({});
        return {b.db().on_this_machine(), b.ReadDispatch(), b.QueuedWriteDispatch()};
    }

    bool Postgres() const { return GetParam() == "Postgres"; }

    test::TempDir dir_;
};

TEST_P(ReadDispatchTest, AutoReadsOnTheIoThreadsFromADatabaseOnThisMachine) {
    const Dispatches d = With("auto");
    EXPECT_TRUE(d.on_this_machine);
    EXPECT_EQ(d.reads, Dispatch::kInline);
}

TEST_P(ReadDispatchTest, OnAndOffOverrideAuto) {
    EXPECT_EQ(With("off").reads, Dispatch::kWorker);
    EXPECT_EQ(With("on").reads, Dispatch::kInline);
}

TEST_P(ReadDispatchTest, QueuedWritesRunInlineOnlyOnSqliteWhateverTheSetting) {
    const Dispatch expected = Postgres() ? Dispatch::kWorker : Dispatch::kInline;
    for (const char* setting : {"auto", "on", "off"}) {
        EXPECT_EQ(With(setting).queued_writes, expected) << setting;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends,
                         ReadDispatchTest,
                         ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ticketing::service

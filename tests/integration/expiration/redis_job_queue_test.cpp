// RedisJobQueue against a real redis-server (AOF, appendfsync always) started by the harness:
// the Lua scripts' semantics, leases across several clients, restarts and reconnection.
#include "storage/redis_job_queue.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "common/log/log.hpp"
#include "common/testing/process.hpp"
#include "common/testing/servers.hpp"

namespace ticketing::expiration {
namespace {

using namespace std::chrono_literals;
using Outcome = ScheduleResult::Outcome;

util::TimePoint Now() {
    return std::chrono::system_clock::now();
}

// What the queue stores: milliseconds.
util::TimePoint Ms(util::TimePoint t) {
    return util::FromEpochMs(util::ToEpochMs(t));
}

class RedisJobQueueTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::Init("test", std::getenv("TEST_LOG") ? log::Level::kDebug : log::Level::kError);
    }

    RedisJobQueueOptions Options(int db = 0) {
        RedisJobQueueOptions o;
        o.endpoint = *ParseRedisUrl(redis_.Url());
        o.endpoint.db = db;
        return o;
    }

    // A raw command on a connection of its own, for what the port does not offer.
    void RawCommand(const char* command) {
        redisContext* c = redisConnect("127.0.0.1", redis_.Port());
        ASSERT_TRUE(c != nullptr && c->err == 0);
        auto* reply = static_cast<redisReply*>(redisCommand(c, command));
        ASSERT_NE(reply, nullptr);
        EXPECT_NE(reply->type, REDIS_REPLY_ERROR) << command;
        freeReplyObject(reply);
        redisFree(c);
    }

    test::RedisServer redis_;
    RedisJobQueue queue_{Options()};
};

TEST_F(RedisJobQueueTest, ScheduleAddsAJobOnceAndKeepsItsFirstDueTime) {
    auto due = Now() + 1h;
    EXPECT_EQ(queue_.Schedule("o1", due, "payload-1").outcome, Outcome::kAdded);
    EXPECT_EQ(queue_.Schedule("o1", due + 1h, "payload-2").outcome, Outcome::kAlreadyScheduled);
    auto job = queue_.Find("o1");
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->due, Ms(due));
    EXPECT_EQ(job->run_at, Ms(due));
    EXPECT_EQ(job->payload, "payload-1");
    EXPECT_EQ(job->attempts, 0);
    EXPECT_EQ(queue_.Stats().pending, 1);
}

TEST_F(RedisJobQueueTest, ScheduleOfARunningJobIsIgnored) {
    queue_.Schedule("o1", Now() - 1s, "");
    auto running = queue_.Claim(10, 30s).jobs.at(0);
    EXPECT_EQ(queue_.Schedule("o1", Now() - 1s, "").outcome, Outcome::kAlreadyScheduled);
    EXPECT_EQ(queue_.Stats().pending, 0);
    EXPECT_EQ(queue_.Claim(10, 30s).jobs.size(), 0u);
    EXPECT_TRUE(queue_.Complete(running.lease()));
}

TEST_F(RedisJobQueueTest, ScheduleReportsTheDelayOnTheRedisClock) {
    auto result = queue_.Schedule("o1", Now() + 10s, "");
    EXPECT_LE(result.due_in, 10s);
    EXPECT_GT(result.due_in, 9s);
    EXPECT_LT(queue_.Schedule("o2", Now() - 1h, "").due_in, -59min);
}

TEST_F(RedisJobQueueTest, ClaimTakesOnlyDueJobsEarliestFirst) {
    auto now = Now();
    queue_.Schedule("b", now - 1s, "pb");
    queue_.Schedule("a", now - 2s, "pa");
    queue_.Schedule("c", now + 1h, "pc");
    auto claim = queue_.Claim(10, 30s);
    ASSERT_EQ(claim.jobs.size(), 2u);
    EXPECT_EQ(claim.jobs[0].id, "a");
    EXPECT_EQ(claim.jobs[0].payload, "pa");
    EXPECT_EQ(claim.jobs[0].due, Ms(now - 2s));
    EXPECT_EQ(claim.jobs[0].attempt, 1);
    EXPECT_EQ(claim.jobs[1].id, "b");
    EXPECT_NE(claim.jobs[0].token, claim.jobs[1].token);
    EXPECT_EQ(claim.pending, 1);
    EXPECT_EQ(claim.active, 2);
    EXPECT_EQ(claim.next_due, Ms(now + 1h));
    ASSERT_TRUE(claim.next_lease_end.has_value());
    EXPECT_EQ(*claim.next_lease_end, claim.now + 30s);
    EXPECT_TRUE(queue_.Find("a")->active);
}

TEST_F(RedisJobQueueTest, ClaimOfAnEmptyQueueReportsNothingNext) {
    auto claim = queue_.Claim(10, 30s);
    EXPECT_TRUE(claim.jobs.empty());
    EXPECT_FALSE(claim.next_due.has_value());
    EXPECT_FALSE(claim.next_lease_end.has_value());
    EXPECT_LT(std::chrono::abs(claim.now - Now()), 5s);
}

TEST_F(RedisJobQueueTest, ClaimRespectsTheBatchLimit) {
    for (const char* id : {"o1", "o2", "o3"}) {
        queue_.Schedule(id, Now() - 1s, "");
    }
    EXPECT_EQ(queue_.Claim(2, 30s).jobs.size(), 2u);
    EXPECT_EQ(queue_.Claim(2, 30s).jobs.size(), 1u);
    EXPECT_EQ(queue_.Claim(2, 30s).jobs.size(), 0u);
}

TEST_F(RedisJobQueueTest, JobsScheduledInThePastAreClaimedAtOnce) {
    queue_.Schedule("o1", Now() - 24h, "");
    auto claim = queue_.Claim(10, 30s);
    ASSERT_EQ(claim.jobs.size(), 1u);
    EXPECT_EQ(claim.jobs[0].id, "o1");
}

TEST_F(RedisJobQueueTest, CompleteRemovesTheJobAndFinishesItsId) {
    queue_.Schedule("o1", Now() - 1s, "");
    auto job = queue_.Claim(10, 30s).jobs.at(0);
    EXPECT_TRUE(queue_.Complete(job.lease()));
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_EQ(queue_.Stats().active, 0);
    EXPECT_FALSE(queue_.Complete(job.lease()));
    EXPECT_EQ(queue_.Schedule("o1", Now(), "").outcome, Outcome::kAlreadyFinished);
}

TEST_F(RedisJobQueueTest, CompleteAllFinishesTheCurrentLeasesOfABatchOnly) {
    queue_.Schedule("o1", Now() - 2s, "");
    queue_.Schedule("o2", Now() - 1s, "");
    auto jobs = queue_.Claim(10, 30s).jobs;
    ASSERT_EQ(jobs.size(), 2u);
    queue_.Cancel("o2");  // its lease is no longer current
    std::vector<Lease> leases{jobs[0].lease(), jobs[1].lease()};
    EXPECT_EQ(queue_.CompleteAll(leases), (std::vector<bool>{true, false}));
    EXPECT_FALSE(queue_.Find("o1").has_value());
    EXPECT_EQ(queue_.Stats().active, 0);
    EXPECT_EQ(queue_.Schedule("o1", Now(), "").outcome, Outcome::kAlreadyFinished);
    EXPECT_TRUE(queue_.CompleteAll({}).empty());
}

TEST_F(RedisJobQueueTest, FailPutsTheJobBackAfterTheDelay) {
    queue_.Schedule("o1", Now() - 1s, "p");
    auto first = queue_.Claim(10, 30s);
    ASSERT_TRUE(queue_.Fail(first.jobs.at(0).lease(), 300ms));
    auto job = queue_.Find("o1");
    ASSERT_TRUE(job.has_value());
    EXPECT_FALSE(job->active);
    EXPECT_GE(job->run_at, first.now + 300ms);
    EXPECT_EQ(queue_.Claim(10, 30s).jobs.size(), 0u);

    ClaimResult again;
    ASSERT_TRUE(test::WaitUntil([&] { return !(again = queue_.Claim(10, 30s)).jobs.empty(); }, 5s));
    EXPECT_GE(again.now, job->run_at);
    EXPECT_EQ(again.jobs[0].attempt, 2);
    EXPECT_EQ(again.jobs[0].due, first.jobs[0].due);
    EXPECT_EQ(again.jobs[0].payload, "p");
}

TEST_F(RedisJobQueueTest, StalledJobGoesBackToDueAndItsOldLeaseIsWorthless) {
    queue_.Schedule("o1", Now() - 1s, "");
    auto stale = queue_.Claim(10, 100ms).jobs.at(0);
    EXPECT_EQ(queue_.RequeueStalled(10), 0u);
    ASSERT_TRUE(test::WaitUntil([&] { return queue_.RequeueStalled(10) == 1; }, 5s));
    auto fresh = queue_.Claim(10, 30s).jobs.at(0);
    EXPECT_EQ(fresh.attempt, 2);
    EXPECT_FALSE(queue_.Complete(stale.lease()));
    EXPECT_FALSE(queue_.Fail(stale.lease(), 0ms));
    EXPECT_TRUE(queue_.Complete(fresh.lease()));
}

TEST_F(RedisJobQueueTest, CancelRemovesAWaitingOrRunningJob) {
    queue_.Schedule("waiting", Now() + 1h, "");
    queue_.Schedule("running", Now() - 1s, "");
    auto running = queue_.Claim(10, 30s).jobs.at(0);
    EXPECT_TRUE(queue_.Cancel("waiting"));
    EXPECT_TRUE(queue_.Cancel("running"));
    EXPECT_FALSE(queue_.Cancel("missing"));
    EXPECT_EQ(queue_.Stats().pending, 0);
    EXPECT_EQ(queue_.Stats().active, 0);
    EXPECT_FALSE(queue_.Complete(running.lease()));
    EXPECT_EQ(queue_.Schedule("waiting", Now(), "").outcome, Outcome::kAlreadyFinished);
    EXPECT_EQ(queue_.Schedule("missing", Now(), "").outcome, Outcome::kAlreadyFinished);
}

TEST_F(RedisJobQueueTest, FinishedIdCanBeScheduledAgainAfterItsTombstone) {
    auto options = Options();
    options.finished_ttl = 100ms;
    RedisJobQueue queue(options);
    queue.Cancel("o1");
    EXPECT_EQ(queue.Schedule("o1", Now(), "").outcome, Outcome::kAlreadyFinished);
    EXPECT_TRUE(test::WaitUntil(
        [&] { return queue.Schedule("o1", Now(), "").outcome == Outcome::kAdded; }, 5s));
}

TEST_F(RedisJobQueueTest, ConcurrentClaimsNeverShareAJob) {
    constexpr int kJobs = 500;
    for (int i = 0; i < kJobs; ++i) {
        queue_.Schedule("o" + std::to_string(i), Now() - 1s, "");
    }
    std::mutex mu;
    std::vector<std::string> claimed;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            RedisJobQueue queue(Options());
            while (true) {
                auto claim = queue.Claim(7, 30s);
                if (claim.jobs.empty()) {
                    return;
                }
                std::lock_guard lock(mu);
                for (const auto& job : claim.jobs) {
                    claimed.push_back(job.id);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
    EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
              static_cast<std::size_t>(kJobs));
}

TEST_F(RedisJobQueueTest, PendingJobsSurviveARedisRestart) {
    auto due = Now() + 1h;
    queue_.Schedule("waiting", due, "keep-me");
    queue_.Schedule("running", Now() - 1s, "");
    auto running = queue_.Claim(10, 1h).jobs.at(0);
    redis_.Restart();  // SIGKILL: only what the AOF holds comes back

    auto stats = queue_.Stats();  // the same client reconnects on its own
    EXPECT_EQ(stats.pending, 1);
    EXPECT_EQ(stats.active, 1);
    auto waiting = queue_.Find("waiting");
    ASSERT_TRUE(waiting.has_value());
    EXPECT_EQ(waiting->due, Ms(due));
    EXPECT_EQ(waiting->payload, "keep-me");
    EXPECT_TRUE(queue_.Complete(running.lease()));
}

TEST_F(RedisJobQueueTest, OperationsFailWhileRedisIsDownAndRecoverAfter) {
    EXPECT_TRUE(queue_.Ping());
    redis_.Kill();
    EXPECT_FALSE(queue_.Ping());
    EXPECT_THROW(queue_.Schedule("o1", Now(), ""), QueueError);
    EXPECT_THROW(queue_.Claim(10, 30s), QueueError);
    redis_.Start();
    EXPECT_TRUE(test::WaitUntil([&] { return queue_.Ping(); }, 10s));
    EXPECT_EQ(queue_.Schedule("o1", Now(), "").outcome, Outcome::kAdded);
}

TEST_F(RedisJobQueueTest, ScriptsAreLoadedAgainWhenRedisForgetsThem) {
    queue_.Schedule("o1", Now() + 1h, "");
    RawCommand("SCRIPT FLUSH");
    EXPECT_EQ(queue_.Schedule("o2", Now() + 1h, "").outcome, Outcome::kAdded);
    EXPECT_EQ(queue_.Stats().pending, 2);
}

// ScheduleAll pipelines one schedule per job: the same outcomes as Schedule, one per job in
// order, including after Redis forgot the scripts.
TEST_F(RedisJobQueueTest, ScheduleAllGivesEachJobTheOutcomeScheduleWould) {
    queue_.Schedule("waiting", Now() + 1h, "first");
    queue_.Schedule("done", Now() - 1s, "");
    ASSERT_TRUE(queue_.Complete(queue_.Claim(10, 30s).jobs.at(0).lease()));
    RawCommand("SCRIPT FLUSH");
    std::vector<NewJob> jobs{{"new-1", Now() + 10s, "p1"},
                             {"waiting", Now() + 2h, "second"},
                             {"done", Now() + 1h, ""},
                             {"new-2", Now() - 1h, "p2"}};
    auto results = queue_.ScheduleAll(jobs);
    ASSERT_EQ(results.size(), jobs.size());
    EXPECT_EQ(results[0].outcome, Outcome::kAdded);
    EXPECT_GT(results[0].due_in, 9s);
    EXPECT_EQ(results[1].outcome, Outcome::kAlreadyScheduled);
    EXPECT_EQ(results[2].outcome, Outcome::kAlreadyFinished);
    EXPECT_EQ(results[3].outcome, Outcome::kAdded);
    EXPECT_LT(results[3].due_in, -59min);
    EXPECT_EQ(queue_.Find("waiting")->payload, "first");
    EXPECT_EQ(queue_.Find("new-1")->payload, "p1");
    EXPECT_EQ(queue_.Stats().pending, 3);
    EXPECT_TRUE(queue_.ScheduleAll({}).empty());
}

// A connection that broke while idle is noticed by the pipeline and made again once (the
// schedule is idempotent); with Redis gone, the batch fails as a whole with QueueError.
TEST_F(RedisJobQueueTest, ScheduleAllReconnectsOnceAndFailsWhileRedisIsDown) {
    queue_.Schedule("before", Now() + 1h, "");
    redis_.Restart();
    std::vector<NewJob> jobs{{"a", Now() + 1h, ""}, {"b", Now() + 1h, ""}};
    auto results = queue_.ScheduleAll(jobs);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].outcome, Outcome::kAdded);
    redis_.Kill();
    EXPECT_THROW(queue_.ScheduleAll(jobs), QueueError);
}

TEST_F(RedisJobQueueTest, UsesTheDatabaseOfTheUrl) {
    RedisJobQueue db3(Options(3));
    db3.Schedule("o1", Now() + 1h, "");
    EXPECT_EQ(RedisJobQueue(Options(3)).Stats().pending, 1);
    EXPECT_EQ(queue_.Stats().pending, 0);
}

TEST_F(RedisJobQueueTest, ReportsTheServerDurabilitySettings) {
    auto settings = queue_.ServerSettings();
    EXPECT_EQ(settings.maxmemory_policy, "noeviction");
    EXPECT_TRUE(settings.append_only);
    EXPECT_EQ(settings.appendfsync, "always");
    RawCommand("CONFIG SET maxmemory-policy allkeys-lru");
    EXPECT_TRUE(IsEvictingPolicy(queue_.ServerSettings().maxmemory_policy));
}

}  // namespace
}  // namespace ticketing::expiration

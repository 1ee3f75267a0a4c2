// RedisJobQueue: the JobQueue on Redis through hiredis (DESIGN.md section 6). Sorted sets and
// hashes under one key prefix, changed only by Lua scripts (storage/redis_scripts.hpp) that read
// Redis's own TIME, so several expiration replicas can share the queue and no job runs on two of
// them at once (a claim is atomic and a lease token fences late completions).
// One connection, opened on first use and again after it breaks; an operation that meets a
// broken connection reconnects and, unless it is a Claim, runs once more. On every new
// connection it loads the scripts and warns in the log when the server's maxmemory-policy can
// evict jobs or AOF is off.
// Thread-safety: safe from any thread; operations are serialised on the one connection (each
// takes a fraction of a millisecond; a dead server costs at most connect + command timeout).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "storage/job_queue.hpp"
#include "storage/redis_endpoint.hpp"

namespace ticketing::expiration {

struct RedisJobQueueOptions {
    RedisEndpoint endpoint;
    // Every key is "{<prefix>}:<name>" (one hash tag: one Redis Cluster slot).
    std::string key_prefix = "ticketing:expiration";
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(1)};
    std::chrono::milliseconds command_timeout{std::chrono::seconds(2)};
    // How long a completed or cancelled id stays finished (its order:created is ignored).
    std::chrono::milliseconds finished_ttl{std::chrono::hours(24)};
};

// Settings of the Redis server that decide whether jobs survive.
struct RedisServerSettings {
    std::string maxmemory_policy;
    bool append_only = false;
    std::string appendfsync;
};

class RedisJobQueue final : public JobQueue {
public:
    // Does not connect: the first operation does (so the service starts while Redis is down).
    explicit RedisJobQueue(RedisJobQueueOptions options);
    ~RedisJobQueue() override;
    RedisJobQueue(const RedisJobQueue&) = delete;
    RedisJobQueue& operator=(const RedisJobQueue&) = delete;

    ScheduleResult Schedule(const std::string& id,
                            util::TimePoint due,
                            const std::string& payload) override;
    std::vector<ScheduleResult> ScheduleAll(std::span<const NewJob> jobs) override;
    bool Cancel(const std::string& id) override;
    ClaimResult Claim(std::size_t max_jobs, std::chrono::milliseconds lease) override;
    bool Complete(const Lease& lease) override;
    std::vector<bool> CompleteAll(std::span<const Lease> leases) override;
    bool Fail(const Lease& lease, std::chrono::milliseconds retry_in) override;
    std::size_t RequeueStalled(std::size_t max_jobs) override;
    QueueStats Stats() override;
    std::optional<JobState> Find(const std::string& id) override;
    bool Ping() override;

    // CONFIG GET of the settings above. Throws QueueError (also when CONFIG is disabled).
    RedisServerSettings ServerSettings();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::expiration

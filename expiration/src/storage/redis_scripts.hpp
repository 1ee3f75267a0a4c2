// The Lua scripts of RedisJobQueue (internal to storage/redis_job_queue.cpp). Each runs
// atomically in Redis and reads the time with TIME, so no client clock is ever trusted.
//
// Keys (in this order for every script, all sharing one hash tag so that they live in one
// Redis Cluster slot):
//   KEYS[1] due       sorted set  id -> next run (epoch ms)
//   KEYS[2] active    sorted set  id -> lease end (epoch ms)
//   KEYS[3] payload   hash        id -> payload
//   KEYS[4] due_at    hash        id -> due time as scheduled (epoch ms)
//   KEYS[5] attempts  hash        id -> runs claimed so far (absent until the first: 0)
//   KEYS[6] leases    hash        id -> token of the current lease
//   KEYS[7] finished  sorted set  id -> end of its tombstone (epoch ms)
//   KEYS[8] seq       string      lease token counter
#pragma once

#include <array>
#include <string_view>

namespace ticketing::expiration::redis_scripts {

inline constexpr std::string_view kPrelude = R"lua(
local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n)
    return string.format('%d', n)
end
local function forget(id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[6], id)
end
)lua";

// ARGV: id, due ms, payload. Returns {outcome, due - now}: 0 added, 1 already waiting or
// running, 2 finished (tombstone still valid).
inline constexpr std::string_view kSchedule = R"lua(
local id = ARGV[1]
local due = tonumber(ARGV[2])
local now = now_ms()
local tomb = redis.call('ZSCORE', KEYS[7], id)
if tomb then
    if tonumber(tomb) > now then
        return {2, due - now}
    end
    redis.call('ZREM', KEYS[7], id)
end
if redis.call('ZSCORE', KEYS[2], id) then
    return {1, due - now}
end
if redis.call('ZADD', KEYS[1], 'NX', fmt(due), id) == 0 then
    return {1, due - now}
end
redis.call('HSET', KEYS[3], id, ARGV[3])
redis.call('HSET', KEYS[4], id, fmt(due))
return {0, due - now}
)lua";

// ARGV: id, tombstone ms. Returns 1 when a job was removed.
inline constexpr std::string_view kCancel = R"lua(
local id = ARGV[1]
local now = now_ms()
local removed = redis.call('ZREM', KEYS[1], id) + redis.call('ZREM', KEYS[2], id)
forget(id)
redis.call('ZADD', KEYS[7], fmt(now + tonumber(ARGV[2])), id)
if removed > 0 then
    return 1
end
return 0
)lua";

// ARGV: max jobs, lease ms. Returns {now, pending, active, next due or -1, next lease end or -1,
// {{id, payload, due, attempt, token}, ...}}. Also drops expired tombstones.
inline constexpr std::string_view kClaim = R"lua(
local now = now_ms()
local lease_end = now + tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', fmt(now))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now), 'LIMIT', 0, tonumber(ARGV[1]))
local jobs = {}
for i, id in ipairs(ids) do
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], fmt(lease_end), id)
    local token = redis.call('INCR', KEYS[8])
    redis.call('HSET', KEYS[6], id, fmt(token))
    local attempt = redis.call('HINCRBY', KEYS[5], id, 1)
    local payload = redis.call('HGET', KEYS[3], id) or ''
    local due = tonumber(redis.call('HGET', KEYS[4], id) or now)
    jobs[i] = {id, payload, due, attempt, token}
end
local first_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local first_lease = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local next_due = -1
if first_due[2] then
    next_due = tonumber(first_due[2])
end
local next_lease = -1
if first_lease[2] then
    next_lease = tonumber(first_lease[2])
end
return {now, redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), next_due, next_lease,
        jobs}
)lua";

// ARGV: tombstone ms, then id, token for each lease. Returns one 1 or 0 per lease: 1 when the
// lease was current and the job is gone. One call completes a whole batch of a worker's pass.
inline constexpr std::string_view kComplete = R"lua(
local now = now_ms()
local ttl = tonumber(ARGV[1])
local done = {}
for i = 2, #ARGV, 2 do
    local id = ARGV[i]
    if redis.call('HGET', KEYS[6], id) == ARGV[i + 1] then
        redis.call('ZREM', KEYS[2], id)
        redis.call('ZREM', KEYS[1], id)
        forget(id)
        redis.call('ZADD', KEYS[7], fmt(now + ttl), id)
        done[#done + 1] = 1
    else
        done[#done + 1] = 0
    end
end
return done
)lua";

// ARGV: id, token, retry ms. Returns the next run (epoch ms), or -1 when the lease was not
// current.
inline constexpr std::string_view kFail = R"lua(
local id = ARGV[1]
if redis.call('HGET', KEYS[6], id) ~= ARGV[2] then
    return -1
end
local at = now_ms() + tonumber(ARGV[3])
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', KEYS[6], id)
redis.call('ZADD', KEYS[1], fmt(at), id)
return at
)lua";

// ARGV: max jobs. Returns how many running jobs whose lease had passed went back to due now.
inline constexpr std::string_view kRequeueStalled = R"lua(
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', fmt(now), 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(ids) do
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[6], id)
    redis.call('ZADD', KEYS[1], fmt(now), id)
end
return #ids
)lua";

// Returns {pending, active}.
inline constexpr std::string_view kStats = R"lua(
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])}
)lua";

// ARGV: id. Returns {} or {active 0/1, run at, due, attempts, payload}.
inline constexpr std::string_view kFind = R"lua(
local id = ARGV[1]
local active = 1
local run_at = redis.call('ZSCORE', KEYS[2], id)
if not run_at then
    active = 0
    run_at = redis.call('ZSCORE', KEYS[1], id)
end
if not run_at then
    return {}
end
return {active, tonumber(run_at), tonumber(redis.call('HGET', KEYS[4], id) or run_at),
        tonumber(redis.call('HGET', KEYS[5], id) or 0), redis.call('HGET', KEYS[3], id) or ''}
)lua";

enum Script : std::size_t {
    kScheduleScript,
    kCancelScript,
    kClaimScript,
    kCompleteScript,
    kFailScript,
    kRequeueStalledScript,
    kStatsScript,
    kFindScript,
    kScriptCount,
};

inline constexpr std::array<std::string_view, kScriptCount> kBodies = {
    kSchedule, kCancel, kClaim, kComplete, kFail, kRequeueStalled, kStats, kFind};

inline constexpr std::array<std::string_view, 8> kKeySuffixes = {
    "due", "active", "payload", "due_at", "attempts", "leases", "finished", "seq"};

}  // namespace ticketing::expiration::redis_scripts

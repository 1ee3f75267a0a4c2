#include "storage/redis_job_queue.hpp"

#include <array>
#include <mutex>
#include <vector>

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include "common/log/log.hpp"

#include "storage/redis_scripts.hpp"

namespace ticketing::expiration {
namespace {

namespace scripts = redis_scripts;

struct ContextDeleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// The connection broke (or never opened): the command may or may not have run.
class ConnectionLost final : public QueueError {
public:
    using QueueError::QueueError;
};

timeval ToTimeval(std::chrono::milliseconds d) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(d - seconds);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(seconds.count());
    tv.tv_usec = static_cast<suseconds_t>(micros.count());
    return tv;
}

std::string Text(const redisReply& r) {
    return std::string(r.str, r.len);
}

std::int64_t Integer(const redisReply& r, std::string_view what) {
    if (r.type != REDIS_REPLY_INTEGER) {
        throw QueueError("unexpected redis reply for " + std::string(what));
    }
    return static_cast<std::int64_t>(r.integer);
}

std::string String(const redisReply& r, std::string_view what) {
    if (r.type != REDIS_REPLY_STRING && r.type != REDIS_REPLY_STATUS) {
        throw QueueError("unexpected redis reply for " + std::string(what));
    }
    return Text(r);
}

const redisReply& Element(const redisReply& r, std::size_t i, std::string_view what) {
    if (r.type != REDIS_REPLY_ARRAY || i >= r.elements) {
        throw QueueError("unexpected redis reply for " + std::string(what));
    }
    return *r.element[i];
}

std::optional<util::TimePoint> OptionalTime(std::int64_t ms) {
    if (ms < 0) {
        return std::nullopt;
    }
    return util::FromEpochMs(ms);
}

// The schedule script's reply: {0 added | 1 already scheduled | 2 already finished, due in ms}.
ScheduleResult ToScheduleResult(const redisReply& reply) {
    auto code = Integer(Element(reply, 0, "schedule"), "schedule");
    ScheduleResult result;
    result.outcome = code == 0   ? ScheduleResult::Outcome::kAdded
                     : code == 1 ? ScheduleResult::Outcome::kAlreadyScheduled
                                 : ScheduleResult::Outcome::kAlreadyFinished;
    result.due_in = std::chrono::milliseconds(Integer(Element(reply, 1, "schedule"), "due"));
    return result;
}

}  // namespace

class RedisJobQueue::Impl {
public:
    explicit Impl(RedisJobQueueOptions options) : options_(std::move(options)) {
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            keys_[i] = "{" + options_.key_prefix + "}:" + std::string(scripts::kKeySuffixes[i]);
        }
    }

    // Runs `op` on a live connection. A connection that broke since its last use is only
    // noticed by the next command: an idempotent operation then runs once more on a new one.
    template <class F>
    auto Run(bool idempotent, F&& op) {
        std::lock_guard lock(mu_);
        bool reused = ctx_ != nullptr;
        try {
            EnsureConnected();
            return op();
        } catch (const ConnectionLost& e) {
            if (!reused || !idempotent) {
                throw;
            }
            log::Debug("redis connection lost; reconnecting", {{"error", e.what()}});
        }
        EnsureConnected();
        return op();
    }

    ReplyPtr Eval(scripts::Script script, const std::vector<std::string>& args) {
        std::vector<std::string> command = EvalCommand(script, args);
        auto reply = CommandAllowingErrors(command);
        if (reply->type == REDIS_REPLY_ERROR && Text(*reply).starts_with("NOSCRIPT")) {
            // The server lost its script cache (SCRIPT FLUSH, or a restart behind a proxy).
            LoadScripts();
            command[1] = shas_[script];
            reply = CommandAllowingErrors(command);
        }
        ThrowIfError(*reply);
        return reply;
    }

    // The same script once per argument list, pipelined: every command is written, then every
    // reply read, in one round trip. One reply each, in order.
    std::vector<ReplyPtr> EvalEach(scripts::Script script,
                                   const std::vector<std::vector<std::string>>& arg_lists) {
        std::vector<std::vector<std::string>> commands;
        commands.reserve(arg_lists.size());
        for (const auto& args : arg_lists) {
            commands.push_back(EvalCommand(script, args));
        }
        for (const auto& command : commands) {
            std::vector<const char*> argv;
            std::vector<std::size_t> lengths;
            ToArgv(command, argv, lengths);
            if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(),
                                       lengths.data()) != REDIS_OK) {
                LoseConnection();
            }
        }
        std::vector<ReplyPtr> replies;
        replies.reserve(commands.size());
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
                LoseConnection();
            }
            replies.emplace_back(static_cast<redisReply*>(raw));
        }
        for (std::size_t i = 0; i < replies.size(); ++i) {
            if (replies[i]->type == REDIS_REPLY_ERROR &&
                Text(*replies[i]).starts_with("NOSCRIPT")) {
                replies[i] = Eval(script, arg_lists[i]);  // reloads the scripts
            }
            ThrowIfError(*replies[i]);
        }
        return replies;
    }

    ReplyPtr Command(const std::vector<std::string>& args) {
        auto reply = CommandAllowingErrors(args);
        ThrowIfError(*reply);
        return reply;
    }

    const RedisJobQueueOptions& options() const { return options_; }

    RedisServerSettings ReadServerSettings() {
        RedisServerSettings settings;
        settings.maxmemory_policy = ConfigGet("maxmemory-policy");
        settings.append_only = ConfigGet("appendonly") == "yes";
        settings.appendfsync = ConfigGet("appendfsync");
        return settings;
    }

    void EnsureConnected() {
        if (ctx_) {
            return;
        }
        const auto& endpoint = options_.endpoint;
        ContextPtr ctx(redisConnectWithTimeout(
            endpoint.host.c_str(), endpoint.port, ToTimeval(options_.connect_timeout)));
        if (!ctx) {
            throw ConnectionLost("cannot allocate a redis context");
        }
        if (ctx->err != 0) {
            throw ConnectionLost("cannot connect to redis at " + Describe(endpoint) + ": " +
                                 ctx->errstr);
        }
        redisSetTimeout(ctx.get(), ToTimeval(options_.command_timeout));
        redisEnableKeepAlive(ctx.get());
        ctx_ = std::move(ctx);
        try {
            if (!endpoint.password.empty()) {
                if (endpoint.user.empty()) {
                    Command({"AUTH", endpoint.password});
                } else {
                    Command({"AUTH", endpoint.user, endpoint.password});
                }
            }
            if (endpoint.db != 0) {
                Command({"SELECT", std::to_string(endpoint.db)});
            }
            LoadScripts();
        } catch (const QueueError&) {
            ctx_.reset();
            throw;
        }
        log::Info("connected to redis", {{"redis", Describe(endpoint)}});
        WarnAboutDurability();
    }

private:
    std::vector<std::string> EvalCommand(scripts::Script script,
                                         const std::vector<std::string>& args) const {
        std::vector<std::string> command;
        command.reserve(3 + keys_.size() + args.size());
        command.emplace_back("EVALSHA");
        command.emplace_back(shas_[script]);
        command.emplace_back(std::to_string(keys_.size()));
        command.insert(command.end(), keys_.begin(), keys_.end());
        command.insert(command.end(), args.begin(), args.end());
        return command;
    }

    static void ToArgv(const std::vector<std::string>& args,
                       std::vector<const char*>& argv,
                       std::vector<std::size_t>& lengths) {
        argv.reserve(args.size());
        lengths.reserve(args.size());
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
    }

    [[noreturn]] void LoseConnection() {
        std::string error = ctx_->errstr;
        ctx_.reset();  // a context that failed is unusable
        throw ConnectionLost("redis at " + Describe(options_.endpoint) + ": " + error);
    }

    ReplyPtr CommandAllowingErrors(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        ToArgv(args, argv, lengths);
        auto* raw = static_cast<redisReply*>(redisCommandArgv(
            ctx_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
        if (raw == nullptr) {
            LoseConnection();
        }
        return ReplyPtr(raw);
    }

    static void ThrowIfError(const redisReply& reply) {
        if (reply.type == REDIS_REPLY_ERROR) {
            // OOM, LOADING (replaying the AOF after a restart), READONLY, ...: the connection is
            // fine, the operation did not happen.
            throw QueueError("redis refused: " + Text(reply));
        }
    }

    void LoadScripts() {
        for (std::size_t i = 0; i < scripts::kScriptCount; ++i) {
            std::string body = std::string(scripts::kPrelude) + std::string(scripts::kBodies[i]);
            auto reply = Command({"SCRIPT", "LOAD", body});
            shas_[i] = String(*reply, "SCRIPT LOAD");
        }
    }

    std::string ConfigGet(const std::string& name) {
        auto reply = Command({"CONFIG", "GET", name});
        return String(Element(*reply, 1, "CONFIG GET"), "CONFIG GET");
    }

    void WarnAboutDurability() {
        try {
            auto settings = ReadServerSettings();
            if (IsEvictingPolicy(settings.maxmemory_policy)) {
                log::Warn("redis may evict pending expirations: set maxmemory-policy noeviction",
                          {{"maxmemory_policy", settings.maxmemory_policy}});
            }
            if (!settings.append_only) {
                log::Warn("redis runs without AOF: pending expirations are lost if it restarts",
                          {{"appendonly", "no"}});
            }
        } catch (const ConnectionLost&) {
            throw;
        } catch (const QueueError& e) {
            // Managed Redis often disables CONFIG; the queue works all the same.
            log::Info("cannot read redis settings", {{"error", e.what()}});
        }
    }

    RedisJobQueueOptions options_;
    std::array<std::string, scripts::kKeySuffixes.size()> keys_;
    std::mutex mu_;
    ContextPtr ctx_;
    std::array<std::string, scripts::kScriptCount> shas_;
};

RedisJobQueue::RedisJobQueue(RedisJobQueueOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RedisJobQueue::~RedisJobQueue() = default;

ScheduleResult RedisJobQueue::Schedule(const std::string& id,
                                       util::TimePoint due,
                                       const std::string& payload) {
    return impl_->Run(true, [&] {
        auto reply = impl_->Eval(scripts::kScheduleScript,
                                 {id, std::to_string(util::ToEpochMs(due)), payload});
        return ToScheduleResult(*reply);
    });
}

std::vector<ScheduleResult> RedisJobQueue::ScheduleAll(std::span<const NewJob> jobs) {
    if (jobs.empty()) {
        return {};
    }
    std::vector<std::vector<std::string>> arg_lists;
    arg_lists.reserve(jobs.size());
    for (const auto& job : jobs) {
        arg_lists.push_back({job.id, std::to_string(util::ToEpochMs(job.due)), job.payload});
    }
    return impl_->Run(true, [&] {
        auto replies = impl_->EvalEach(scripts::kScheduleScript, arg_lists);
        std::vector<ScheduleResult> results;
        results.reserve(replies.size());
        for (const auto& reply : replies) {
            results.push_back(ToScheduleResult(*reply));
        }
        return results;
    });
}

bool RedisJobQueue::Cancel(const std::string& id) {
    return impl_->Run(true, [&] {
        auto ttl = std::to_string(impl_->options().finished_ttl.count());
        auto reply = impl_->Eval(scripts::kCancelScript, {id, ttl});
        return Integer(*reply, "cancel") == 1;
    });
}

ClaimResult RedisJobQueue::Claim(std::size_t max_jobs, std::chrono::milliseconds lease) {
    // Not retried on a broken connection: a claim whose reply was lost leaves its jobs leased to
    // no one until the lease passes, and a second claim would not find them anyway.
    return impl_->Run(false, [&] {
        auto reply = impl_->Eval(scripts::kClaimScript,
                                 {std::to_string(max_jobs), std::to_string(lease.count())});
        const auto& r = *reply;
        ClaimResult result;
        result.now = util::FromEpochMs(Integer(Element(r, 0, "claim"), "claim now"));
        result.pending = Integer(Element(r, 1, "claim"), "claim pending");
        result.active = Integer(Element(r, 2, "claim"), "claim active");
        result.next_due = OptionalTime(Integer(Element(r, 3, "claim"), "claim next due"));
        result.next_lease_end = OptionalTime(Integer(Element(r, 4, "claim"), "claim next lease"));
        const auto& jobs = Element(r, 5, "claim");
        if (jobs.type != REDIS_REPLY_ARRAY) {
            throw QueueError("unexpected redis reply for claim jobs");
        }
        result.jobs.reserve(jobs.elements);
        for (std::size_t i = 0; i < jobs.elements; ++i) {
            const auto& j = *jobs.element[i];
            ClaimedJob job;
            job.id = String(Element(j, 0, "job"), "job id");
            job.payload = String(Element(j, 1, "job"), "job payload");
            job.due = util::FromEpochMs(Integer(Element(j, 2, "job"), "job due"));
            job.attempt = Integer(Element(j, 3, "job"), "job attempt");
            job.token = Integer(Element(j, 4, "job"), "job token");
            result.jobs.push_back(std::move(job));
        }
        return result;
    });
}

bool RedisJobQueue::Complete(const Lease& lease) {
    return CompleteAll(std::span(&lease, 1)).front();
}

std::vector<bool> RedisJobQueue::CompleteAll(std::span<const Lease> leases) {
    if (leases.empty()) {
        return {};
    }
    return impl_->Run(true, [&] {
        std::vector<std::string> args;
        args.reserve(1 + 2 * leases.size());
        args.push_back(std::to_string(impl_->options().finished_ttl.count()));
        for (const auto& lease : leases) {
            args.push_back(lease.job_id);
            args.push_back(std::to_string(lease.token));
        }
        auto reply = impl_->Eval(scripts::kCompleteScript, args);
        std::vector<bool> done;
        done.reserve(leases.size());
        for (std::size_t i = 0; i < leases.size(); ++i) {
            done.push_back(Integer(Element(*reply, i, "complete"), "complete") == 1);
        }
        return done;
    });
}

bool RedisJobQueue::Fail(const Lease& lease, std::chrono::milliseconds retry_in) {
    return impl_->Run(true, [&] {
        auto reply = impl_->Eval(
            scripts::kFailScript,
            {lease.job_id, std::to_string(lease.token), std::to_string(retry_in.count())});
        return Integer(*reply, "fail") >= 0;
    });
}

std::size_t RedisJobQueue::RequeueStalled(std::size_t max_jobs) {
    return impl_->Run(true, [&] {
        auto reply = impl_->Eval(scripts::kRequeueStalledScript, {std::to_string(max_jobs)});
        return static_cast<std::size_t>(Integer(*reply, "requeue"));
    });
}

QueueStats RedisJobQueue::Stats() {
    return impl_->Run(true, [&] {
        auto reply = impl_->Eval(scripts::kStatsScript, {});
        return QueueStats{Integer(Element(*reply, 0, "stats"), "pending"),
                          Integer(Element(*reply, 1, "stats"), "active")};
    });
}

std::optional<JobState> RedisJobQueue::Find(const std::string& id) {
    return impl_->Run(true, [&]() -> std::optional<JobState> {
        auto reply = impl_->Eval(scripts::kFindScript, {id});
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
            return std::nullopt;
        }
        const auto& r = *reply;
        JobState state;
        state.active = Integer(Element(r, 0, "find"), "find active") == 1;
        state.run_at = util::FromEpochMs(Integer(Element(r, 1, "find"), "find run at"));
        state.due = util::FromEpochMs(Integer(Element(r, 2, "find"), "find due"));
        state.attempts = Integer(Element(r, 3, "find"), "find attempts");
        state.payload = String(Element(r, 4, "find"), "find payload");
        return state;
    });
}

bool RedisJobQueue::Ping() {
    try {
        return impl_->Run(true, [&] {
            auto reply = impl_->Command({"PING"});
            return String(*reply, "PING") == "PONG";
        });
    } catch (const QueueError&) {
        return false;
    }
}

RedisServerSettings RedisJobQueue::ServerSettings() {
    return impl_->Run(true, [&] { return impl_->ReadServerSettings(); });
}

}  // namespace ticketing::expiration

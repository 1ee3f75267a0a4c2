// Router: express-style routes ("/api/tickets/:id") mapped to handlers. Services build one in
// their composition root and hand it to the Server.
// Thread-safety: build it on one thread before the server starts; afterwards Find is const and
// safe from any thread.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/request.hpp"
#include "common/http/response.hpp"

namespace ticketing::http {

using Handler = std::function<Response(Request&)>;

// The answer to a request, given later and from any thread: a handler that must wait for
// something before it can answer (a write's commit, db::Database::TransactionAsync) passes its
// Reply on and returns, holding no thread while it waits. Copies share one answer: the first
// call answers, later ones are ignored (and logged). A reply that is never called answers 500
// when its last copy goes.
class Reply {
public:
    // What the server puts behind a Reply.
    class Target {
    public:
        virtual ~Target() = default;
        virtual void Answer(Response response) = 0;
        // Answers as the server's error middleware answers an exception from a handler (a
        // typed error's status and body, else 500).
        virtual void Fail(std::exception_ptr error) = 0;
    };

    explicit Reply(std::shared_ptr<Target> target) : target_(std::move(target)) {}
    void operator()(Response response) const { target_->Answer(std::move(response)); }
    void operator()(std::exception_ptr error) const { target_->Fail(std::move(error)); }

private:
    std::shared_ptr<Target> target_;
};

// A handler that answers through its Reply. What it throws before it answers is answered as a
// Handler's exception would be.
using AsyncHandler = std::function<void(Request&, Reply)>;

// Where a handler runs. kWorker (the default) is for anything that may block (database, bus,
// password hashing); kInline runs on the I/O thread and is only for handlers that never block.
enum class Dispatch { kWorker, kInline };

struct Route {
    Method method;
    std::string pattern;  // also the "route" label of metrics and access logs
    std::vector<std::string> segments;
    Handler handler;             // one of the two is set
    AsyncHandler async_handler;
    Dispatch dispatch;
};

class Router {
public:
    void Add(Method method, std::string pattern, Handler handler, Dispatch d = Dispatch::kWorker);
    void Get(std::string p, Handler h, Dispatch d = Dispatch::kWorker) {
        Add(Method::kGet, std::move(p), std::move(h), d);
    }
    void Post(std::string p, Handler h, Dispatch d = Dispatch::kWorker) {
        Add(Method::kPost, std::move(p), std::move(h), d);
    }
    void Put(std::string p, Handler h, Dispatch d = Dispatch::kWorker) {
        Add(Method::kPut, std::move(p), std::move(h), d);
    }
    void Delete(std::string p, Handler h, Dispatch d = Dispatch::kWorker) {
        Add(Method::kDelete, std::move(p), std::move(h), d);
    }
    // A route answered through a Reply. kInline only when the handler never blocks before it
    // hands its Reply on.
    void AddAsync(Method method, std::string pattern, AsyncHandler handler,
                  Dispatch d = Dispatch::kWorker);
    void PostAsync(std::string p, AsyncHandler h, Dispatch d = Dispatch::kWorker) {
        AddAsync(Method::kPost, std::move(p), std::move(h), d);
    }

    struct Match {
        const Route* route;
        std::map<std::string, std::string, std::less<>> params;
    };
    // The first route whose method and pattern match. ":name" matches one non-empty segment.
    // Only canonical paths match: a path with an empty segment ("//", a trailing '/') or a
    // "." or ".." segment matches nothing.
    std::optional<Match> Find(Method method, std::string_view path) const;
    // The methods of the routes whose pattern matches `path` (for 405's Allow), in
    // registration order; empty when none does.
    std::vector<Method> AllowedMethods(std::string_view path) const;

private:
    std::vector<Route> routes_;
};

}  // namespace ticketing::http

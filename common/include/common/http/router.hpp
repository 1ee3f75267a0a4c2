// Router: express-style routes ("/api/tickets/:id") mapped to handlers. Services build one in
// their composition root and hand it to the Server.
// Thread-safety: build it on one thread before the server starts; afterwards Find is const and
// safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/request.hpp"
#include "common/http/response.hpp"

namespace ticketing::http {

using Handler = std::function<Response(Request&)>;

// Where a handler runs. kWorker (the default) is for anything that may block (database, bus,
// password hashing); kInline runs on the I/O thread and is only for handlers that never block.
enum class Dispatch { kWorker, kInline };

struct Route {
    Method method;
    std::string pattern;  // also the "route" label of metrics and access logs
    std::vector<std::string> segments;
    Handler handler;
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

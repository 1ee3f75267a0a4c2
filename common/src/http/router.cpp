#include "common/http/router.hpp"

namespace ticketing::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        auto next = path.find('/', i);
        if (next == std::string_view::npos) {
            next = path.size();
        }
        out.push_back(path.substr(i, next - i));
        i = next;
    }
    return out;
}

}  // namespace

void Router::Add(Method method, std::string pattern, Handler handler, Dispatch d) {
    std::vector<std::string> segments;
    for (auto s : Split(pattern)) {
        segments.emplace_back(s);
    }
    routes_.push_back(
        Route{method, std::move(pattern), std::move(segments), std::move(handler), d});
}

std::optional<Router::Match> Router::Find(Method method, std::string_view path) const {
    auto parts = Split(path);
    for (const auto& route : routes_) {
        if (route.method != method || route.segments.size() != parts.size()) {
            continue;
        }
        Match match{&route, {}};
        bool ok = true;
        for (std::size_t i = 0; i < parts.size() && ok; ++i) {
            const auto& seg = route.segments[i];
            if (!seg.empty() && seg.front() == ':') {
                match.params.emplace(seg.substr(1), std::string(parts[i]));
            } else {
                ok = seg == parts[i];
            }
        }
        if (ok) {
            return match;
        }
    }
    return std::nullopt;
}

}  // namespace ticketing::http

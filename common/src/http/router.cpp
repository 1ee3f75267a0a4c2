#include "common/http/router.hpp"

#include <algorithm>

namespace ticketing::http {
namespace {

// Patterns are written by us: split on '/', ignoring empty pieces.
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

// Request paths have one canonical form (DESIGN.md section 13): they start with '/', and have
// no empty segment ("//", a trailing '/') and no "." or ".." segment; anything else matches no
// route (404), so that the ingress and the router agree on what reaches a route.
std::vector<std::string> PatternSegments(std::string_view pattern) {
    std::vector<std::string> segments;
    for (auto s : Split(pattern)) {
        segments.emplace_back(s);
    }
    return segments;
}

std::optional<std::vector<std::string_view>> CanonicalSegments(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return std::nullopt;
    }
    std::vector<std::string_view> out;
    if (path.size() == 1) {
        return out;
    }
    std::size_t i = 1;
    for (;;) {
        auto next = path.find('/', i);
        auto segment = path.substr(i, next == std::string_view::npos ? next : next - i);
        if (segment.empty() || segment == "." || segment == "..") {
            return std::nullopt;
        }
        out.push_back(segment);
        if (next == std::string_view::npos) {
            return out;
        }
        i = next + 1;
    }
}

bool Matches(const Route& route,
             const std::vector<std::string_view>& parts,
             std::map<std::string, std::string, std::less<>>* params) {
    if (route.segments.size() != parts.size()) {
        return false;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& seg = route.segments[i];
        if (!seg.empty() && seg.front() == ':') {
            if (params != nullptr) {
                params->emplace(seg.substr(1), std::string(parts[i]));
            }
        } else if (seg != parts[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

void Router::Add(Method method, std::string pattern, Handler handler, Dispatch d) {
    auto segments = PatternSegments(pattern);
    routes_.push_back(
        Route{method, std::move(pattern), std::move(segments), std::move(handler), {}, d});
}

void Router::AddAsync(Method method, std::string pattern, AsyncHandler handler, Dispatch d) {
    auto segments = PatternSegments(pattern);
    routes_.push_back(
        Route{method, std::move(pattern), std::move(segments), {}, std::move(handler), d});
}

std::optional<Router::Match> Router::Find(Method method, std::string_view path) const {
    auto parts = CanonicalSegments(path);
    if (!parts) {
        return std::nullopt;
    }
    for (const auto& route : routes_) {
        if (route.method != method) {
            continue;
        }
        Match match{&route, {}};
        if (Matches(route, *parts, &match.params)) {
            return match;
        }
    }
    return std::nullopt;
}

std::vector<Method> Router::AllowedMethods(std::string_view path) const {
    std::vector<Method> out;
    auto parts = CanonicalSegments(path);
    if (!parts) {
        return out;
    }
    for (const auto& route : routes_) {
        if (Matches(route, *parts, nullptr) &&
            std::find(out.begin(), out.end(), route.method) == out.end()) {
            out.push_back(route.method);
        }
    }
    return out;
}

}  // namespace ticketing::http

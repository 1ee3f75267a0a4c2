#include "common/auth/session.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "common/http/errors.hpp"
#include "common/http/request.hpp"

namespace ticketing::auth {
namespace {

// A session cookie holds one short token; refuse absurd values before decoding.
constexpr std::size_t kMaxCookieValueLength = 8192;

// The longest cookie value DecodedCookies keeps (ours are about 460 bytes).
constexpr std::size_t kMaxCachedCookieLength = 1024;

constexpr int kCookieBase64Variant = sodium_base64_VARIANT_ORIGINAL;

// What SessionCookieValue writes, {"jwt":"<token>"}, read without a JSON parser when the token is
// printable ASCII without a quote or a backslash (a JWT always is): the parser took about 5% of a
// POST /api/tickets's CPU in the tickets service (perf, issue 20). Anything else (escapes,
// spaces, more keys, other bytes) is left to the parser, which decides it as before.
std::optional<std::string> CanonicalToken(std::string_view text) {
    constexpr std::string_view kPrefix = R"({"jwt":")";
    constexpr std::string_view kSuffix = R"("})";
    if (text.size() < kPrefix.size() + kSuffix.size() || !text.starts_with(kPrefix) ||
        !text.ends_with(kSuffix)) {
        return std::nullopt;
    }
    const std::string_view token =
        text.substr(kPrefix.size(), text.size() - kPrefix.size() - kSuffix.size());
    for (const char c : token) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            return std::nullopt;
        }
    }
    return std::string(token);
}

}  // namespace

void RevocationList::Revoke(const std::string& jti, std::int64_t exp_seconds, util::TimePoint now) {
    const std::int64_t now_ms = util::ToEpochMs(now);
    std::lock_guard lock(mu_);
    revoked_[jti] = exp_seconds;
    // Drop what has expired at most once a minute: an expired token is refused anyway.
    if (now_ms >= next_prune_ms_) {
        next_prune_ms_ = now_ms + 60'000;
        std::erase_if(revoked_, [now_ms](const auto& entry) {
            return entry.second * 1000 <= now_ms;
        });
    }
}

bool RevocationList::IsRevoked(std::string_view jti) const {
    std::lock_guard lock(mu_);
    return revoked_.find(std::string(jti)) != revoked_.end();
}

std::size_t RevocationList::size() const {
    std::lock_guard lock(mu_);
    return revoked_.size();
}

std::string SessionCookieValue(std::string_view token) {
    const std::string json = nlohmann::json{{"jwt", token}}.dump();
    std::string out(sodium_base64_ENCODED_LEN(json.size(), kCookieBase64Variant), '\0');
    sodium_bin2base64(out.data(),
                      out.size(),
                      reinterpret_cast<const unsigned char*>(json.data()),
                      json.size(),
                      kCookieBase64Variant);
    out.resize(out.find('\0'));  // the encoded length counts the terminating NUL
    return out;
}

namespace {

// Cookie values already decoded, so that a session's later requests skip the base64 decoding
// (libsodium's, constant-time: about 2 us for a 460-byte cookie, 2% of orders' CPU under POST
// /api/orders, perf, issue 20). The decoding is a pure function of the value, so a hit returns
// exactly what decoding would; the token is verified after it as before (VerifyJwt, which keeps
// its own cache of verified tokens). Only values whose token verified are kept (a forged value
// never takes room), none longer than a session cookie gets. Bounded: cleared when full.
class DecodedCookies {
public:
    std::optional<std::string> Find(std::string_view value) {
        std::lock_guard lock(mu_);
        if (auto it = tokens_.find(value); it != tokens_.end()) {
            return it->second;
        }
        return std::nullopt;
    }

    void Add(std::string_view value, const std::string& token) {
        std::lock_guard lock(mu_);
        if (tokens_.size() >= kMaxEntries) {
            tokens_.clear();
        }
        tokens_.emplace(std::string(value), token);
    }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view v) const {
            return std::hash<std::string_view>{}(v);
        }
    };
    static constexpr std::size_t kMaxEntries = 4096;
    std::mutex mu_;
    std::unordered_map<std::string, std::string, Hash, std::equal_to<>> tokens_;
};

DecodedCookies& Decoded() {
    static auto* cache = new DecodedCookies();  // never destroyed: requests may outlive statics
    return *cache;
}

}  // namespace

std::optional<std::string> TokenFromSessionCookie(std::string_view value) {
    if (value.empty() || value.size() > kMaxCookieValueLength) {
        return std::nullopt;
    }
    std::vector<unsigned char> bin(value.size());
    std::size_t bin_len = 0;
    if (sodium_base642bin(bin.data(),
                          bin.size(),
                          value.data(),
                          value.size(),
                          nullptr,
                          &bin_len,
                          nullptr,
                          kCookieBase64Variant) != 0) {
        return std::nullopt;
    }
    const std::string_view text(reinterpret_cast<const char*>(bin.data()), bin_len);
    if (auto token = CanonicalToken(text)) {
        return token;
    }
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_object()) {
        return std::nullopt;
    }
    const auto jwt = json.find("jwt");
    if (jwt == json.end() || !jwt->is_string()) {
        return std::nullopt;
    }
    return jwt->get<std::string>();
}

std::string SignInSetCookie(std::string_view token, bool secure) {
    std::string cookie = std::string(kSessionCookieName) + "=" + SessionCookieValue(token) +
                         "; path=/; httponly; samesite=lax";
    if (secure) {
        cookie += "; secure";
    }
    return cookie;
}

std::string SignOutSetCookie() {
    return std::string(kSessionCookieName) +
           "=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax";
}

std::string IssueToken(const std::string& id,
                       const std::string& email,
                       const SessionSettings& settings) {
    if (!settings.signer) {
        throw std::logic_error("IssueToken: this service holds no signing key");
    }
    return SignJwt(id, email, *settings.signer, settings.clock->Now(), settings.ttl);
}

std::optional<UserPayload> CurrentUserFromCookie(std::optional<std::string_view> cookie_value,
                                                 const SessionSettings& settings) {
    if (!cookie_value) {
        return std::nullopt;
    }
    // A value seen before with a valid signature skips the decoding (DecodedCookies).
    auto token = Decoded().Find(*cookie_value);
    const bool known = token.has_value();
    if (!known) {
        token = TokenFromSessionCookie(*cookie_value);
    }
    if (!token) {
        return std::nullopt;
    }
    auto user = VerifyJwt(*token, settings.keys, settings.clock->Now());
    if (user && !known && cookie_value->size() <= kMaxCachedCookieLength) {
        Decoded().Add(*cookie_value, *token);
    }
    if (user && settings.revoked != nullptr && settings.revoked->IsRevoked(user->jti)) {
        return std::nullopt;
    }
    return user;
}

std::optional<UserPayload> CurrentUser(const http::Request& request,
                                       const SessionSettings& settings) {
    const auto cookie = request.Cookie(kSessionCookieName);
    if (!cookie) {
        return std::nullopt;
    }
    return CurrentUserFromCookie(std::string_view(*cookie), settings);
}

UserPayload RequireAuth(const http::Request& request, const SessionSettings& settings) {
    auto user = CurrentUser(request, settings);
    if (!user) {
        throw http::NotAuthorizedError();
    }
    return std::move(*user);
}

}  // namespace ticketing::auth

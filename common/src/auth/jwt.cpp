#include "common/auth/jwt.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

namespace ticketing::auth {
namespace {

// Real tokens are a few hundred bytes; refuse absurd input before decoding anything.
constexpr std::size_t kMaxTokenLength = 8192;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// Strings returned by libjwt (jwt_encode_str, jwt_get_grants_json) are malloc'ed.
struct MallocDeleter {
    void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using CStringPtr = std::unique_ptr<char, MallocDeleter>;

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::vector<unsigned char> bin(text.size());
    std::size_t bin_len = 0;
    if (sodium_base642bin(bin.data(),
                          bin.size(),
                          text.data(),
                          text.size(),
                          nullptr,
                          &bin_len,
                          nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(bin.data()), bin_len);
}

// The header must be a JSON object whose alg is exactly "HS256". libjwt 1.10 decides how to
// verify from this header, so we refuse every other algorithm before it gets a say.
bool HeaderIsHs256(std::string_view header_segment) {
    const auto header_text = Base64UrlDecode(header_segment);
    if (!header_text) {
        return false;
    }
    const auto header = nlohmann::json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
    if (!header.is_object()) {
        return false;
    }
    const auto alg = header.find("alg");
    return alg != header.end() && alg->is_string() && alg->get_ref<const std::string&>() == "HS256";
}

std::optional<std::int64_t> IntegerClaim(const nlohmann::json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end()) {
        return std::nullopt;
    }
    if (it->is_number_integer() && !it->is_number_unsigned()) {
        return it->get<std::int64_t>();
    }
    if (it->is_number_unsigned() && it->get<std::uint64_t>() <= INT64_MAX) {
        return static_cast<std::int64_t>(it->get<std::uint64_t>());
    }
    return std::nullopt;
}

std::optional<std::string> StringClaim(const nlohmann::json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

}  // namespace

nlohmann::json ToJson(const UserPayload& user) {
    return nlohmann::json{
        {"id", user.id}, {"email", user.email}, {"iat", user.iat}, {"exp", user.exp}};
}

std::string SignJwt(const std::string& id,
                    const std::string& email,
                    std::string_view key,
                    util::TimePoint now,
                    std::chrono::seconds ttl) {
    if (key.empty() || key.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("SignJwt: the key must be non-empty");
    }
    const std::int64_t iat =
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t exp = iat + ttl.count();

    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        throw std::runtime_error("SignJwt: jwt_new failed");
    }
    const JwtPtr jwt(raw);
    if (jwt_add_grant(jwt.get(), "id", id.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), "email", email.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(iat)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp)) != 0) {
        throw std::runtime_error("SignJwt: adding a claim failed");
    }
    if (jwt_set_alg(jwt.get(),
                    JWT_ALG_HS256,
                    reinterpret_cast<const unsigned char*>(key.data()),
                    static_cast<int>(key.size())) != 0) {
        throw std::runtime_error("SignJwt: setting HS256 failed");
    }
    const CStringPtr token(jwt_encode_str(jwt.get()));
    if (!token) {
        throw std::runtime_error("SignJwt: encoding failed");
    }
    return std::string(token.get());
}

std::optional<UserPayload> VerifyJwt(std::string_view token,
                                     std::string_view key,
                                     util::TimePoint now) {
    if (key.empty() || key.size() > static_cast<std::size_t>(INT_MAX) || token.empty() ||
        token.size() > kMaxTokenLength) {
        return std::nullopt;
    }
    // Exactly three non-empty segments: header.payload.signature.
    const auto first_dot = token.find('.');
    if (first_dot == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second_dot = token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos || first_dot == 0 ||
        second_dot == first_dot + 1 || second_dot + 1 == token.size()) {
        return std::nullopt;
    }
    if (token.find('\0') != std::string_view::npos || !HeaderIsHs256(token.substr(0, first_dot))) {
        return std::nullopt;
    }

    // The signature is checked here with libsodium's HMAC-SHA256 rather than by jwt_decode:
    // libjwt parses with jansson and verifies through OpenSSL 3's EVP layer, whose fetch locks
    // serialise threads and tripled the cost of every authenticated request. Signing (once per
    // sign-in) still goes through libjwt.
    const auto signature = Base64UrlDecode(token.substr(second_dot + 1));
    if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES) {
        return std::nullopt;
    }
    const std::string_view signing_input = token.substr(0, second_dot);
    unsigned char expected[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(
        &state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(
        &state, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
    crypto_auth_hmacsha256_final(&state, expected);
    if (sodium_memcmp(expected, signature->data(), sizeof expected) != 0) {
        return std::nullopt;
    }
    const auto payload = Base64UrlDecode(token.substr(first_dot + 1, second_dot - first_dot - 1));
    if (!payload) {
        return std::nullopt;
    }
    const auto claims = nlohmann::json::parse(*payload, nullptr, /*allow_exceptions=*/false);
    if (!claims.is_object()) {
        return std::nullopt;
    }
    auto id = StringClaim(claims, "id");
    auto email = StringClaim(claims, "email");
    const auto iat = IntegerClaim(claims, "iat");
    const auto exp = IntegerClaim(claims, "exp");
    if (!id || !email || !iat || !exp) {
        return std::nullopt;
    }
    // Valid while now < exp, compared in milliseconds; an exp beyond what TimePoint holds never
    // expires in practice, so saturate rather than overflow.
    const std::int64_t now_ms = util::ToEpochMs(now);
    if (*exp < INT64_MIN / 1000) {
        return std::nullopt;
    }
    const std::int64_t exp_ms = *exp > INT64_MAX / 1000 ? INT64_MAX : *exp * 1000;
    if (exp_ms <= now_ms) {
        return std::nullopt;
    }
    return UserPayload{std::move(*id), std::move(*email), *iat, *exp};
}

}  // namespace ticketing::auth

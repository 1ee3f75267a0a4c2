#include "common/auth/jwt.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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


struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct SigDeleter {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using SigPtr = std::unique_ptr<ECDSA_SIG, SigDeleter>;

constexpr std::size_t kEs256SignatureBytes = 64;  // r || s, 32 bytes each (RFC 7518 3.4)

bool IsP256(EVP_PKEY* key) {
    if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
        return false;
    }
    char group[64] = {};
    std::size_t len = 0;
    return EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
           std::string_view(group, len) == "prime256v1";
}

PkeyPtr ReadPem(std::string_view pem, bool is_private) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        return nullptr;
    }
    PkeyPtr key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                           : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    return IsP256(key.get()) ? std::move(key) : nullptr;
}

bool IsValidKid(std::string_view kid) {
    if (kid.empty() || kid.size() > 128) {
        return false;
    }
    for (char c : kid) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The ES256 signature (raw r || s) of `input` checked against `key`.
bool VerifyEs256(EVP_PKEY* key, std::string_view input, std::string_view raw_signature) {
    if (raw_signature.size() != kEs256SignatureBytes) {
        return false;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw_signature.data());
    SigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) {
        return false;
    }
    struct DerFree {
        void operator()(unsigned char* p) const { OPENSSL_free(p); }
    };
    const std::unique_ptr<unsigned char, DerFree> der_owner(der);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    return ctx &&
           EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(),
                            der,
                            static_cast<std::size_t>(der_len),
                            reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

}  // namespace

nlohmann::json ToJson(const UserPayload& user) {
    return nlohmann::json{
        {"id", user.id}, {"email", user.email}, {"iat", user.iat}, {"exp", user.exp}};
}

SigningKey::SigningKey(std::string private_pem, std::string kid)
    : private_pem_(std::move(private_pem)), kid_(std::move(kid)) {
    if (!IsValidKid(kid_)) {
        throw std::invalid_argument("signing key: the kid must be 1-128 of [A-Za-z0-9._-]");
    }
    if (!ReadPem(private_pem_, /*is_private=*/true)) {
        throw std::invalid_argument("signing key: not an EC P-256 private key in PEM");
    }
}

SigningKey SigningKey::FromFile(const std::string& path, std::string kid) {
    if (kid.empty()) {
        kid = std::filesystem::path(path).stem().string();
    }
    return SigningKey(ReadFile(path), std::move(kid));
}

struct VerificationKeys::Impl {
    std::map<std::string, PkeyPtr, std::less<>> keys;
    // Tokens already verified, so that a session's later requests skip the ECDSA check (the
    // claims are still checked against the clock every time). Bounded: cleared when full.
    std::mutex mu;
    std::unordered_map<std::string, UserPayload> verified;
    static constexpr std::size_t kMaxCached = 16384;
};

VerificationKeys::VerificationKeys() : impl_(std::make_shared<Impl>()) {}

VerificationKeys VerificationKeys::FromPem(
    const std::vector<std::pair<std::string, std::string>>& keys) {
    VerificationKeys out;
    for (const auto& [kid, pem] : keys) {
        if (!IsValidKid(kid)) {
            throw std::invalid_argument("public key: the kid must be 1-128 of [A-Za-z0-9._-]");
        }
        auto key = ReadPem(pem, /*is_private=*/false);
        if (!key) {
            throw std::invalid_argument("public key " + kid +
                                        ": not an EC P-256 public key in PEM");
        }
        if (!out.impl_->keys.emplace(kid, std::move(key)).second) {
            throw std::invalid_argument("public key " + kid + " given twice");
        }
    }
    return out;
}

VerificationKeys VerificationKeys::FromDirectory(const std::string& dir) {
    std::vector<std::pair<std::string, std::string>> pems;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const auto& path = entry.path();
        // Kubernetes mounts a Secret's keys through "..data" symlinks: follow them, skip dirs.
        if (path.extension() != ".pem" || path.filename().string().front() == '.' ||
            !std::filesystem::is_regular_file(path)) {
            continue;
        }
        pems.emplace_back(path.stem().string(), ReadFile(path.string()));
    }
    if (ec) {
        throw std::runtime_error("cannot read the public keys directory " + dir);
    }
    if (pems.empty()) {
        throw std::runtime_error("no public key (<kid>.pem) in " + dir);
    }
    return FromPem(pems);
}

std::vector<std::string> VerificationKeys::kids() const {
    std::vector<std::string> out;
    for (const auto& [kid, key] : impl_->keys) {
        out.push_back(kid);
    }
    return out;
}

bool VerificationKeys::empty() const {
    return impl_->keys.empty();
}

KeyPairPem GenerateKeyPair() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    BioPtr priv(BIO_new(BIO_s_mem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    if (!key || !priv || !pub ||
        PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
        throw std::runtime_error("GenerateKeyPair: OpenSSL failed");
    }
    auto text = [](BIO* bio) {
        char* data = nullptr;
        const long len = BIO_get_mem_data(bio, &data);
        return std::string(data, static_cast<std::size_t>(len));
    };
    return {text(priv.get()), text(pub.get())};
}

std::string SignJwt(const std::string& id,
                    const std::string& email,
                    const SigningKey& key,
                    util::TimePoint now,
                    std::chrono::seconds ttl) {
    const std::int64_t iat =
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t exp = iat + ttl.count();
    unsigned char jti_bytes[16];
    randombytes_buf(jti_bytes, sizeof jti_bytes);
    char jti[sizeof jti_bytes * 2 + 1];
    sodium_bin2hex(jti, sizeof jti, jti_bytes, sizeof jti_bytes);

    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        throw std::runtime_error("SignJwt: jwt_new failed");
    }
    const JwtPtr jwt(raw);
    if (jwt_add_grant(jwt.get(), "id", id.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), "email", email.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(iat)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp)) != 0 ||
        jwt_add_grant(jwt.get(), "jti", jti) != 0) {
        throw std::runtime_error("SignJwt: adding a claim failed");
    }
    const auto& pem = key.private_pem();
    if (jwt_set_alg(jwt.get(),
                    JWT_ALG_ES256,
                    reinterpret_cast<const unsigned char*>(pem.data()),
                    static_cast<int>(pem.size())) != 0 ||
        jwt_add_header(jwt.get(), "kid", key.kid().c_str()) != 0) {
        throw std::runtime_error("SignJwt: setting ES256 failed");
    }
    const CStringPtr token(jwt_encode_str(jwt.get()));
    if (!token) {
        throw std::runtime_error("SignJwt: encoding failed");
    }
    return std::string(token.get());
}

std::optional<UserPayload> VerifyJwt(std::string_view token,
                                     const VerificationKeys& keys,
                                     util::TimePoint now) {
    if (token.empty() || token.size() > kMaxTokenLength ||
        token.find('\0') != std::string_view::npos) {
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
    auto& impl = *keys.impl_;
    std::optional<UserPayload> payload;
    {
        std::lock_guard lock(impl.mu);
        if (auto it = impl.verified.find(std::string(token)); it != impl.verified.end()) {
            payload = it->second;
        }
    }
    if (!payload) {
        // The header must be a JSON object with alg exactly "ES256" and a kid we hold.
        const auto header_text = Base64UrlDecode(token.substr(0, first_dot));
        if (!header_text) {
            return std::nullopt;
        }
        const auto header =
            nlohmann::json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
        if (!header.is_object()) {
            return std::nullopt;
        }
        const auto alg = header.find("alg");
        const auto kid = header.find("kid");
        if (alg == header.end() || !alg->is_string() || *alg != "ES256" || kid == header.end() ||
            !kid->is_string()) {
            return std::nullopt;
        }
        const auto key = impl.keys.find(kid->get_ref<const std::string&>());
        if (key == impl.keys.end()) {
            return std::nullopt;
        }
        const auto signature = Base64UrlDecode(token.substr(second_dot + 1));
        if (!signature ||
            !VerifyEs256(key->second.get(), token.substr(0, second_dot), *signature)) {
            return std::nullopt;
        }
        const auto body = Base64UrlDecode(token.substr(first_dot + 1, second_dot - first_dot - 1));
        if (!body) {
            return std::nullopt;
        }
        const auto claims = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
        if (!claims.is_object()) {
            return std::nullopt;
        }
        auto id = StringClaim(claims, "id");
        auto email = StringClaim(claims, "email");
        auto jti = StringClaim(claims, "jti");
        const auto iat = IntegerClaim(claims, "iat");
        const auto exp = IntegerClaim(claims, "exp");
        if (!id || !email || !jti || !iat || !exp) {
            return std::nullopt;
        }
        payload = UserPayload{std::move(*id), std::move(*email), *iat, *exp, std::move(*jti)};
        std::lock_guard lock(impl.mu);
        if (impl.verified.size() >= VerificationKeys::Impl::kMaxCached) {
            impl.verified.clear();
        }
        impl.verified.emplace(std::string(token), *payload);
    }
    // Valid while now < exp, compared in milliseconds; an exp beyond what TimePoint holds never
    // expires in practice, so saturate rather than overflow.
    const std::int64_t now_ms = util::ToEpochMs(now);
    if (payload->exp < INT64_MIN / 1000) {
        return std::nullopt;
    }
    const std::int64_t exp_ms = payload->exp > INT64_MAX / 1000 ? INT64_MAX : payload->exp * 1000;
    if (exp_ms <= now_ms) {
        return std::nullopt;
    }
    return payload;
}

}  // namespace ticketing::auth

#include "token_builder.hpp"

#include <array>

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

namespace ticketing::test {
namespace {

const unsigned char* Bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// ECDSA P-256 over SHA-256, as JWS wants it: r || s, 32 bytes each.
std::string Es256(std::string_view input, std::string_view private_pem) {
    BIO* bio = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t der_len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &der_len, Bytes(input), input.size());
    std::string der(der_len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &der_len, Bytes(input),
                   input.size());
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    const unsigned char* p = Bytes(der);
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(), kVariant);
    out.resize(out.find('\0'));
    return out;
}

std::string BuildToken(std::string_view header_json,
                       std::string_view payload_json,
                       std::string_view key,
                       TokenSignature signature) {
    const std::string signing_input = Base64Url(header_json) + "." + Base64Url(payload_json);
    std::string mac;
    switch (signature) {
        case TokenSignature::kNone:
            break;
        case TokenSignature::kHs256: {
            std::array<unsigned char, crypto_auth_hmacsha256_BYTES> out{};
            crypto_auth_hmacsha256_state state;
            crypto_auth_hmacsha256_init(&state, Bytes(key), key.size());
            crypto_auth_hmacsha256_update(&state, Bytes(signing_input), signing_input.size());
            crypto_auth_hmacsha256_final(&state, out.data());
            mac.assign(reinterpret_cast<const char*>(out.data()), out.size());
            break;
        }
        case TokenSignature::kEs256:
            mac = Es256(signing_input, key);
            break;
        case TokenSignature::kHs512: {
            std::array<unsigned char, crypto_auth_hmacsha512_BYTES> out{};
            crypto_auth_hmacsha512_state state;
            crypto_auth_hmacsha512_init(&state, Bytes(key), key.size());
            crypto_auth_hmacsha512_update(&state, Bytes(signing_input), signing_input.size());
            crypto_auth_hmacsha512_final(&state, out.data());
            mac.assign(reinterpret_cast<const char*>(out.data()), out.size());
            break;
        }
    }
    return signing_input + "." + Base64Url(mac);
}

}  // namespace ticketing::test

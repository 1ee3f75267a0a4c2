#include "token_builder.hpp"

#include <array>

#include <sodium.h>

namespace ticketing::test {
namespace {

const unsigned char* Bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
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

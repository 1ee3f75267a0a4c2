#include "common/testing/session_keys.hpp"

#include <filesystem>
#include <fstream>
#include <memory>

namespace ticketing::test {
namespace {

void WriteFile(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

struct Holder {
    TempDir dir{"ticketing-keys-"};
    std::unique_ptr<TestSessionKeys> keys;

    Holder() {
        const auto pair = auth::GenerateKeyPair();
        const auto stranger = auth::GenerateKeyPair();
        const auto public_dir = dir.Path() / "public";
        std::filesystem::create_directories(public_dir);
        WriteFile(public_dir / "test-key.pem", pair.public_pem);
        WriteFile(dir.Path() / "test-key.private.pem", pair.private_pem);
        keys = std::make_unique<TestSessionKeys>(TestSessionKeys{
            auth::SigningKey(pair.private_pem, "test-key"),
            auth::VerificationKeys::FromPem({{"test-key", pair.public_pem}}),
            auth::SigningKey(stranger.private_pem, "test-key"),
            public_dir.string(),
            (dir.Path() / "test-key.private.pem").string()});
    }
};

}  // namespace

const TestSessionKeys& SessionKeys() {
    static Holder holder;
    return *holder.keys;
}

auth::SessionSettings TestSessionSettings(const util::Clock& clock,
                                          std::chrono::seconds ttl,
                                          const auth::RevocationList* revoked) {
    auth::SessionSettings settings;
    settings.keys = SessionKeys().keys;
    settings.signer = SessionKeys().signer;
    settings.ttl = ttl;
    settings.clock = &clock;
    settings.revoked = revoked;
    return settings;
}

EnvVars SessionKeyEnv(bool signing) {
    EnvVars env{{"JWT_PUBLIC_KEYS_DIR", SessionKeys().public_keys_dir}};
    if (signing) {
        env.emplace_back("JWT_PRIVATE_KEY_FILE", SessionKeys().private_key_file);
        env.emplace_back("JWT_KEY_ID", "test-key");
    }
    return env;
}

EnvVars WithSessionKeys(EnvVars env, bool signing) {
    for (auto& entry : SessionKeyEnv(signing)) {
        env.push_back(std::move(entry));
    }
    return env;
}

Headers SessionCookie(const std::string& user_id, const auth::SessionSettings& session) {
    auto token = auth::IssueToken(user_id, user_id + "@test.com", session);
    return {{"Cookie", "session=" + auth::SessionCookieValue(token)}};
}

}  // namespace ticketing::test

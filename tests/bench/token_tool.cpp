// ticketing-token: prints the value of a `session` cookie (base64 of {"jwt":"<token>"}) for a
// user, signed with auth's private key (JWT_PRIVATE_KEY_FILE), so benchmarks and manual calls can
// act as a signed-in user without running the auth service (scripts/bench-tickets.sh). Only who
// holds that key can do this: the services hold public keys only.
//   ticketing-token --key-file <private PEM> [--kid <kid>] --id <user id> --email <email>
//                   [--ttl <seconds>]
//   curl -b "session=$(ticketing-token --key-file ... --id ... --email ...)" ...
#include <chrono>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/auth/jwt.hpp"
#include "common/auth/session.hpp"
#include "common/util/clock.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Prints a signed session cookie value for a user"};
    std::string key_file, kid, id, email;
    long ttl_seconds = 86400;
    app.add_option("--key-file", key_file, "auth's private key (PEM), JWT_PRIVATE_KEY_FILE")
        ->required();
    app.add_option("--kid", kid, "its key id, JWT_KEY_ID (default: the file name without .pem)");
    app.add_option("--id", id, "user id (24 lowercase hex characters)")->required();
    app.add_option("--email", email, "user email")->required();
    app.add_option("--ttl", ttl_seconds, "token lifetime in seconds")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    ticketing::util::SystemClock clock;
    const auto key = ticketing::auth::SigningKey::FromFile(key_file, kid);
    std::cout << ticketing::auth::SessionCookieValue(ticketing::auth::SignJwt(
                     id, email, key, clock.Now(), std::chrono::seconds(ttl_seconds)))
              << "\n";
    return 0;
}

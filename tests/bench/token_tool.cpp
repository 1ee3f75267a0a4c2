// ticketing-token: prints the value of a `session` cookie (base64 of {"jwt":"<token>"}) for a
// user, signed with JWT_KEY's value, so benchmarks and manual calls can act as a signed-in user
// without running the auth service (scripts/bench-tickets.sh).
//   ticketing-token --key <JWT_KEY> --id <user id> --email <email> [--ttl <seconds>]
//   curl -b "session=$(ticketing-token --key ... --id ... --email ...)" ...
#include <chrono>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/auth/session.hpp"
#include "common/util/clock.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Prints a signed session cookie value for a user"};
    std::string key, id, email;
    long ttl_seconds = 86400;
    app.add_option("--key", key, "JWT_KEY the services verify with")->required();
    app.add_option("--id", id, "user id (24 lowercase hex characters)")->required();
    app.add_option("--email", email, "user email")->required();
    app.add_option("--ttl", ttl_seconds, "token lifetime in seconds")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    ticketing::util::SystemClock clock;
    ticketing::auth::SessionSettings session{key, std::chrono::seconds(ttl_seconds), &clock};
    std::cout << ticketing::auth::SessionCookieValue(
                     ticketing::auth::IssueToken(id, email, session))
              << "\n";
    return 0;
}

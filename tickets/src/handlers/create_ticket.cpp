#include <nlohmann/json.hpp>

#include "common/validation/validation.hpp"

#include "handlers/handlers.hpp"

namespace ticketing::tickets {

// POST /api/tickets {title, price} → 201 ticket, version 0; checks: 401, title, price.
// Answered once the ticket and its event have committed, from the thread that committed them:
// the request holds no thread while its write waits for its group (issue 20).
http::AsyncHandler CreateTicketHandler(TicketService& service,
                                       const auth::SessionSettings& session) {
    return [&service, &session](http::Request& req, http::Reply reply) {
        auto user = auth::RequireAuth(req, session);
        validation::Validator v(req.JsonBody());
        std::string title = v.Text("title", 1, kMaxTitleLength, kTitleRequired, kTitleCharacters);
        auto price = v.Price("price");
        v.Check();
        service.CreateAsync(user.id,
                            title,
                            *price,
                            req.traceparent(),
                            [reply](const Ticket& ticket, std::exception_ptr error) {
                                if (error) {
                                    reply(std::move(error));
                                } else {
                                    reply(TicketAnswer(201, ticket));
                                }
                            });
    };
}

}  // namespace ticketing::tickets

// Journey: what a user does through the ingress, as steps an end-to-end test composes (sign up,
// sell, see the list, order once the orders service knows the ticket, pay once payments knows the
// order, read an order's status). Shared by the end-to-end tests of the process stack (E2E.Stack)
// and of the container images (Container.Stack), so both walk the same journey.
// Thread-safety: one Journey per test thread (HttpClient is not shared).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "common/testing/http_client.hpp"

namespace ticketing::test {

// A signed-up user with its session cookie.
struct User {
    std::string id;
    Headers cookie;
};

class Journey {
public:
    explicit Journey(const std::string& ingress_url) : client_(ingress_url) {}

    // Signs up a new user (a fresh e-mail each call); expects 201.
    User SignUp();
    // Sells a ticket; expects 201 and returns the ticket.
    nlohmann::json CreateTicket(const User& seller, const std::string& title, double price);
    // True when GET /api/tickets lists the ticket (unreserved).
    bool Listed(const std::string& ticket_id);
    // Orders the ticket once the orders service has its replica (an event away from the
    // ticket's creation). Returns the last answer.
    HttpResult OrderWhenKnown(const User& buyer, const std::string& ticket_id);
    // Pays the order with `token` once payments has its replica. Returns the last answer.
    HttpResult PayWhenKnown(const User& buyer, const std::string& order_id,
                            const std::string& token = "tok_visa");
    // The order's status as its owner sees it ("" when the GET fails).
    std::string OrderStatus(const User& buyer, const std::string& order_id);

    // Whole journeys, with their gtest assertions:
    // a seller sells a ticket at `price`; a buyer orders it at that price; it leaves the list and
    // its seller can no longer edit it; the buyer pays (tok_visa), the order completes, and the
    // ticket stays off the list (sold).
    void SellBuyAndPay(const std::string& title, double price);
    // a buyer orders a ticket and does not pay: the order is cancelled once `window` has passed,
    // the ticket is listed again and can be ordered again.
    void OrderExpiresAndTheTicketSellsAgain(const std::string& title, std::chrono::seconds window);

protected:
    HttpClient client_;
};

}  // namespace ticketing::test

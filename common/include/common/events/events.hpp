// The event catalogue (DESIGN.md section 5): one struct per event, each carrying its subject in
// its type (`static constexpr Subject kSubject`), so publishing and listening are typed and no
// service writes a subject as a string literal. The JSON keys are the course's, exactly; money
// is integer cents inside, a JSON number of dollars on the wire, like the REST API.
// Decoding is strict: a missing or mistyped field throws DecodeError naming the field; unknown
// extra keys are ignored (so a newer publisher does not break an older listener).
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/util/clock.hpp"
#include "common/util/money.hpp"

namespace ticketing::events {

// A subject as a distinct type, so a plain string can't be passed where a subject is meant.
struct Subject {
    std::string_view name;
};

inline constexpr Subject kTicketCreated{"ticket:created"};
inline constexpr Subject kTicketUpdated{"ticket:updated"};
inline constexpr Subject kOrderCreated{"order:created"};
inline constexpr Subject kOrderCancelled{"order:cancelled"};
inline constexpr Subject kOrderCompleted{"order:completed"};
inline constexpr Subject kExpirationComplete{"expiration:complete"};
inline constexpr Subject kPaymentCreated{"payment:created"};

inline constexpr std::array<Subject, 7> kAllSubjects = {kTicketCreated,
                                                        kTicketUpdated,
                                                        kOrderCreated,
                                                        kOrderCancelled,
                                                        kOrderCompleted,
                                                        kExpirationComplete,
                                                        kPaymentCreated};

// Sign-out (DESIGN.md section 13): not part of the TICKETING stream (no service's state is
// built from it), but of TICKETING_SESSIONS, which every process that checks sessions reads
// from its start.
inline constexpr Subject kSessionRevoked{"session:revoked"};

// Where undecodable or exhausted events go: "deadletter.<subject>" in the TICKETING_DLQ stream.
std::string DeadLetterSubject(std::string_view subject);

enum class OrderStatus { kCreated, kCancelled, kAwaitingPayment, kComplete };

std::string_view ToString(OrderStatus status);
std::optional<OrderStatus> ParseOrderStatus(std::string_view text);

class DecodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TicketCreated {
    static constexpr Subject kSubject = kTicketCreated;
    std::string id;
    std::int64_t version = 0;
    std::string title;
    util::Cents price = 0;
    std::string user_id;
    bool operator==(const TicketCreated&) const = default;
};

struct TicketUpdated {
    static constexpr Subject kSubject = kTicketUpdated;
    std::string id;
    std::int64_t version = 0;
    std::string title;
    util::Cents price = 0;
    std::string user_id;
    std::optional<std::string> order_id;  // present only while reserved; never null on the wire
    bool operator==(const TicketUpdated&) const = default;
};

struct OrderCreated {
    static constexpr Subject kSubject = kOrderCreated;
    struct Ticket {
        std::string id;
        util::Cents price = 0;
        bool operator==(const Ticket&) const = default;
    };
    std::string id;
    std::int64_t version = 0;
    OrderStatus status = OrderStatus::kCreated;
    std::string user_id;
    util::TimePoint expires_at;
    Ticket ticket;
    bool operator==(const OrderCreated&) const = default;
};

struct OrderCancelled {
    static constexpr Subject kSubject = kOrderCancelled;
    struct Ticket {
        std::string id;
        bool operator==(const Ticket&) const = default;
    };
    std::string id;
    std::int64_t version = 0;
    Ticket ticket;
    bool operator==(const OrderCancelled&) const = default;
};

struct OrderCompleted {
    static constexpr Subject kSubject = kOrderCompleted;
    struct Ticket {
        std::string id;
        bool operator==(const Ticket&) const = default;
    };
    std::string id;
    std::int64_t version = 0;
    Ticket ticket;
    bool operator==(const OrderCompleted&) const = default;
};

struct ExpirationComplete {
    static constexpr Subject kSubject = kExpirationComplete;
    std::string order_id;
    bool operator==(const ExpirationComplete&) const = default;
};

struct PaymentCreated {
    static constexpr Subject kSubject = kPaymentCreated;
    std::string id;
    std::string order_id;
    std::string stripe_id;
    bool operator==(const PaymentCreated&) const = default;
};

// A signed-out token: refused everywhere until it expires anyway.
struct SessionRevoked {
    static constexpr Subject kSubject = kSessionRevoked;
    std::string jti;
    std::string user_id;
    util::TimePoint expires_at;
    bool operator==(const SessionRevoked&) const = default;
};

// JSON mapping, one pair per event (found by argument-dependent lookup from Encode/Decode).
nlohmann::json ToJson(const TicketCreated& e);
nlohmann::json ToJson(const TicketUpdated& e);
nlohmann::json ToJson(const OrderCreated& e);
nlohmann::json ToJson(const OrderCancelled& e);
nlohmann::json ToJson(const OrderCompleted& e);
nlohmann::json ToJson(const ExpirationComplete& e);
nlohmann::json ToJson(const PaymentCreated& e);
nlohmann::json ToJson(const SessionRevoked& e);

template <class Event>
Event FromJson(const nlohmann::json& j);

// The wire payload of an event: compact JSON.
template <class Event>
std::string Encode(const Event& e);

// Parses a wire payload; throws DecodeError ("<field> must be ...", "payload is not JSON").
template <class Event>
Event Decode(std::string_view payload);

namespace detail {
// The general codec (nlohmann's) that Encode and Decode use for anything but the plain form they
// write and read directly (escaped or non-ASCII text, spaces, exponents; events.cpp): exposed so
// that the tests hold both paths to the same bytes and outcomes.
template <class Event>
std::string EncodeGeneral(const Event& e);
template <class Event>
Event DecodeGeneral(std::string_view payload);
}  // namespace detail

// An event of the catalogue: a struct with its subject in its type (Encode/Decode are defined
// for exactly these).
template <class E>
concept EventType = requires {
    { E::kSubject } -> std::convertible_to<Subject>;
};

}  // namespace ticketing::events

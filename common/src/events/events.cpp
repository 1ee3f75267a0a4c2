#include "common/events/events.hpp"

#include <nlohmann/json.hpp>

namespace ticketing::events {
namespace {

using nlohmann::json;

// A view of one JSON object that names the path of every field it reads in its errors.
class Reader {
public:
    Reader(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {
        if (!j_.is_object()) {
            throw DecodeError((prefix_.empty() ? std::string("payload") : Name("")) +
                              " must be an object");
        }
    }

    const json& Field(std::string_view key) const {
        auto it = j_.find(key);
        if (it == j_.end() || it->is_null()) {
            throw DecodeError(Name(key) + " is required");
        }
        return *it;
    }

    std::string String(std::string_view key) const {
        const json& v = Field(key);
        if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
            throw DecodeError(Name(key) + " must be a non-empty string");
        }
        return v.get<std::string>();
    }

    std::optional<std::string> OptionalString(std::string_view key) const {
        auto it = j_.find(key);
        if (it == j_.end()) {
            return std::nullopt;
        }
        if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
            throw DecodeError(Name(key) + " must be a non-empty string when present");
        }
        return it->get<std::string>();
    }

    std::int64_t Version(std::string_view key) const {
        const json& v = Field(key);
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
            throw DecodeError(Name(key) + " must be a non-negative integer");
        }
        return v.get<std::int64_t>();
    }

    util::Cents Price(std::string_view key) const {
        const json& v = Field(key);
        if (!v.is_number()) {
            throw DecodeError(Name(key) + " must be a number");
        }
        auto parsed = util::ParsePrice(v);
        if (!parsed.ok()) {
            throw DecodeError(Name(key) + ": " + std::string(parsed.error));
        }
        return *parsed.cents;
    }

    util::TimePoint Time(std::string_view key) const {
        const json& v = Field(key);
        std::optional<util::TimePoint> t;
        if (v.is_string()) {
            t = util::ParseIso8601(v.get<std::string>());
        }
        if (!t) {
            throw DecodeError(Name(key) + " must be an ISO-8601 time");
        }
        return *t;
    }

    Reader Object(std::string_view key) const { return Reader(Field(key), Name(key)); }

private:
    std::string Name(std::string_view key) const {
        if (prefix_.empty()) {
            return std::string(key);
        }
        return key.empty() ? prefix_ : prefix_ + "." + std::string(key);
    }

    const json& j_;
    std::string prefix_;
};

}  // namespace

std::string DeadLetterSubject(std::string_view subject) {
    return "deadletter." + std::string(subject);
}

std::string_view ToString(OrderStatus status) {
    switch (status) {
        case OrderStatus::kCreated:
            return "created";
        case OrderStatus::kCancelled:
            return "cancelled";
        case OrderStatus::kAwaitingPayment:
            return "awaiting:payment";
        case OrderStatus::kComplete:
            return "complete";
    }
    return "created";
}

std::optional<OrderStatus> ParseOrderStatus(std::string_view text) {
    for (auto s : {OrderStatus::kCreated,
                   OrderStatus::kCancelled,
                   OrderStatus::kAwaitingPayment,
                   OrderStatus::kComplete}) {
        if (ToString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

json ToJson(const TicketCreated& e) {
    return {{"id", e.id},
            {"version", e.version},
            {"title", e.title},
            {"price", util::CentsToJsonNumber(e.price)},
            {"userId", e.user_id}};
}

json ToJson(const TicketUpdated& e) {
    json j = {{"id", e.id},
              {"version", e.version},
              {"title", e.title},
              {"price", util::CentsToJsonNumber(e.price)},
              {"userId", e.user_id}};
    if (e.order_id) {
        j["orderId"] = *e.order_id;
    }
    return j;
}

json ToJson(const OrderCreated& e) {
    return {{"id", e.id},
            {"version", e.version},
            {"status", ToString(e.status)},
            {"userId", e.user_id},
            {"expiresAt", util::FormatIso8601(e.expires_at)},
            {"ticket", {{"id", e.ticket.id}, {"price", util::CentsToJsonNumber(e.ticket.price)}}}};
}

json ToJson(const OrderCancelled& e) {
    return {{"id", e.id}, {"version", e.version}, {"ticket", {{"id", e.ticket.id}}}};
}

json ToJson(const OrderCompleted& e) {
    return {{"id", e.id}, {"version", e.version}, {"ticket", {{"id", e.ticket.id}}}};
}

json ToJson(const ExpirationComplete& e) {
    return {{"orderId", e.order_id}};
}

json ToJson(const PaymentCreated& e) {
    return {{"id", e.id}, {"orderId", e.order_id}, {"stripeId", e.stripe_id}};
}

json ToJson(const SessionRevoked& e) {
    return {{"jti", e.jti}, {"userId", e.user_id}, {"expiresAt", util::FormatIso8601(e.expires_at)}};
}

template <>
TicketCreated FromJson<TicketCreated>(const json& j) {
    Reader r(j, "");
    return {r.String("id"),
            r.Version("version"),
            r.String("title"),
            r.Price("price"),
            r.String("userId")};
}

template <>
TicketUpdated FromJson<TicketUpdated>(const json& j) {
    Reader r(j, "");
    return {r.String("id"),
            r.Version("version"),
            r.String("title"),
            r.Price("price"),
            r.String("userId"),
            r.OptionalString("orderId")};
}

template <>
OrderCreated FromJson<OrderCreated>(const json& j) {
    Reader r(j, "");
    auto status_text = r.String("status");
    auto status = ParseOrderStatus(status_text);
    if (!status) {
        throw DecodeError("status must be one of created, cancelled, awaiting:payment, complete");
    }
    auto ticket = r.Object("ticket");
    return {r.String("id"),
            r.Version("version"),
            *status,
            r.String("userId"),
            r.Time("expiresAt"),
            {ticket.String("id"), ticket.Price("price")}};
}

template <>
OrderCancelled FromJson<OrderCancelled>(const json& j) {
    Reader r(j, "");
    return {r.String("id"), r.Version("version"), {r.Object("ticket").String("id")}};
}

template <>
OrderCompleted FromJson<OrderCompleted>(const json& j) {
    Reader r(j, "");
    return {r.String("id"), r.Version("version"), {r.Object("ticket").String("id")}};
}

template <>
ExpirationComplete FromJson<ExpirationComplete>(const json& j) {
    Reader r(j, "");
    return {r.String("orderId")};
}

template <>
PaymentCreated FromJson<PaymentCreated>(const json& j) {
    Reader r(j, "");
    return {r.String("id"), r.String("orderId"), r.String("stripeId")};
}

template <>
SessionRevoked FromJson<SessionRevoked>(const json& j) {
    Reader r(j, "");
    return {r.String("jti"), r.String("userId"), r.Time("expiresAt")};
}

template <class Event>
std::string Encode(const Event& e) {
    return ToJson(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

template <class Event>
Event Decode(std::string_view payload) {
    json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        throw DecodeError("payload is not JSON");
    }
    return FromJson<Event>(j);
}

#define TICKETING_INSTANTIATE(E)              \
    template std::string Encode<E>(const E&); \
    template E Decode<E>(std::string_view);

TICKETING_INSTANTIATE(TicketCreated)
TICKETING_INSTANTIATE(TicketUpdated)
TICKETING_INSTANTIATE(OrderCreated)
TICKETING_INSTANTIATE(OrderCancelled)
TICKETING_INSTANTIATE(OrderCompleted)
TICKETING_INSTANTIATE(ExpirationComplete)
TICKETING_INSTANTIATE(PaymentCreated)
TICKETING_INSTANTIATE(SessionRevoked)
#undef TICKETING_INSTANTIATE

}  // namespace ticketing::events

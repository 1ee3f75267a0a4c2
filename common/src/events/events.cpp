#include "common/events/events.hpp"

#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/util/json_text.hpp"

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

template <class R>
TicketCreated ReadEvent(const R& r, std::type_identity<TicketCreated>) {
    return {r.String("id"),
            r.Version("version"),
            r.String("title"),
            r.Price("price"),
            r.String("userId")};
}

template <class R>
TicketUpdated ReadEvent(const R& r, std::type_identity<TicketUpdated>) {
    return {r.String("id"),
            r.Version("version"),
            r.String("title"),
            r.Price("price"),
            r.String("userId"),
            r.OptionalString("orderId")};
}

template <class R>
OrderCreated ReadEvent(const R& r, std::type_identity<OrderCreated>) {
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

template <class R>
OrderCancelled ReadEvent(const R& r, std::type_identity<OrderCancelled>) {
    return {r.String("id"), r.Version("version"), {r.Object("ticket").String("id")}};
}

template <class R>
OrderCompleted ReadEvent(const R& r, std::type_identity<OrderCompleted>) {
    return {r.String("id"), r.Version("version"), {r.Object("ticket").String("id")}};
}

template <class R>
ExpirationComplete ReadEvent(const R& r, std::type_identity<ExpirationComplete>) {
    return {r.String("orderId")};
}

template <class R>
PaymentCreated ReadEvent(const R& r, std::type_identity<PaymentCreated>) {
    return {r.String("id"), r.String("orderId"), r.String("stripeId")};
}

template <class R>
SessionRevoked ReadEvent(const R& r, std::type_identity<SessionRevoked>) {
    return {r.String("jti"), r.String("userId"), r.Time("expiresAt")};
}

// ---- Without nlohmann on the hot path ----------------------------------------------------------
// nlohmann's encode and decode took 1.6 and 2.1 us per order:created, about 5% of the machine's
// CPU per POST /api/orders (four decodes and two encodes of events per order; perf, issue 20).
// Encode writes the JSON directly, exactly as nlohmann's dump wrote it (compact, keys in byte
// order). Decode reads the plain form of that JSON directly (strings without escapes or
// non-ASCII bytes, no spaces); anything else (escapes, spaces, exponents, literals, arrays, a
// duplicate key, a value out of the plain ranges), and every error, goes to nlohmann's codec,
// which decides it as before. The tests hold both paths to the same bytes and the same outcomes.
namespace {

// Each event's members in byte order of their keys, as nlohmann's object (a std::map) wrote
// them.
double Dollars(util::Cents cents) {
    return util::CentsToJsonNumber(cents);
}

std::string EncodeDirect(const TicketCreated& e) {
    std::string out;
    util::JsonObjectWriter(out)
        .String("id", e.id)
        .Number("price", Dollars(e.price))
        .String("title", e.title)
        .String("userId", e.user_id)
        .Integer("version", e.version)
        .End();
    return out;
}

std::string EncodeDirect(const TicketUpdated& e) {
    std::string out;
    util::JsonObjectWriter w(out);
    w.String("id", e.id);
    if (e.order_id) {
        w.String("orderId", *e.order_id);
    }
    w.Number("price", Dollars(e.price))
        .String("title", e.title)
        .String("userId", e.user_id)
        .Integer("version", e.version)
        .End();
    return out;
}

std::string EncodeDirect(const OrderCreated& e) {
    std::string out;
    util::JsonObjectWriter(out)
        .String("expiresAt", util::FormatIso8601(e.expires_at))
        .String("id", e.id)
        .String("status", ToString(e.status))
        .Object("ticket")
        .String("id", e.ticket.id)
        .Number("price", Dollars(e.ticket.price))
        .End()
        .String("userId", e.user_id)
        .Integer("version", e.version)
        .End();
    return out;
}

// order:cancelled and order:completed carry the same fields.
template <class E>
requires std::same_as<E, OrderCancelled> || std::same_as<E, OrderCompleted> std::string
EncodeDirect(const E& e) {
    std::string out;
    util::JsonObjectWriter(out)
        .String("id", e.id)
        .Object("ticket")
        .String("id", e.ticket.id)
        .End()
        .Integer("version", e.version)
        .End();
    return out;
}

std::string EncodeDirect(const ExpirationComplete& e) {
    std::string out;
    util::JsonObjectWriter(out).String("orderId", e.order_id).End();
    return out;
}

std::string EncodeDirect(const PaymentCreated& e) {
    std::string out;
    util::JsonObjectWriter(out)
        .String("id", e.id)
        .String("orderId", e.order_id)
        .String("stripeId", e.stripe_id)
        .End();
    return out;
}

std::string EncodeDirect(const SessionRevoked& e) {
    std::string out;
    util::JsonObjectWriter(out)
        .String("expiresAt", util::FormatIso8601(e.expires_at))
        .String("jti", e.jti)
        .String("userId", e.user_id)
        .End();
    return out;
}

// A JSON object in the plain form, as views into the payload: string values without escapes,
// numbers as their text, objects nested at most two deep.
class PlainObjects {
public:
    struct Value {
        enum class Kind { kString, kNumber, kObject } kind;
        std::string_view text;   // a string's characters or a number's text
        std::size_t object = 0;  // kObject: index into objects_
    };
    using Fields = std::vector<std::pair<std::string_view, Value>>;

    // False when the text is not one object in the plain form.
    bool Parse(std::string_view text) {
        text_ = text;
        pos_ = 0;
        return Object(0).has_value() && pos_ == text_.size();
    }

    const Fields& At(std::size_t index) const { return objects_[index]; }

private:
    static constexpr std::size_t kMaxDepth = 2;
    static constexpr std::size_t kMaxFields = 16;

    bool Eat(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    std::optional<std::string_view> String() {
        if (!Eat('"')) {
            return std::nullopt;
        }
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                return std::nullopt;
            }
            ++pos_;
        }
        if (!Eat('"')) {
            return std::nullopt;
        }
        return text_.substr(start, pos_ - start - 1);
    }

    bool Digits() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            ++pos_;
        }
        return pos_ > start;
    }

    // JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    std::optional<std::string_view> Number() {
        const std::size_t start = pos_;
        Eat('-');
        if (Eat('0')) {
            if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
                return std::nullopt;
            }
        } else if (!Digits()) {
            return std::nullopt;
        }
        if (Eat('.') && !Digits()) {
            return std::nullopt;
        }
        if (Eat('e') || Eat('E')) {
            if (!Eat('+')) {
                Eat('-');
            }
            if (!Digits()) {
                return std::nullopt;
            }
        }
        return text_.substr(start, pos_ - start);
    }

    std::optional<std::size_t> Object(std::size_t depth) {
        if (depth >= kMaxDepth || !Eat('{')) {
            return std::nullopt;
        }
        const std::size_t index = objects_.size();
        objects_.emplace_back();
        if (Eat('}')) {
            return index;
        }
        do {
            const auto key = String();
            if (!key || !Eat(':') || objects_[index].size() >= kMaxFields) {
                return std::nullopt;
            }
            for (const auto& [seen, unused] : objects_[index]) {
                if (seen == *key) {
                    return std::nullopt;  // nlohmann keeps the last: left to it
                }
            }
            Value value{Value::Kind::kString, {}, 0};
            if (pos_ < text_.size() && text_[pos_] == '"') {
                const auto text = String();
                if (!text) {
                    return std::nullopt;
                }
                value.text = *text;
            } else if (pos_ < text_.size() && text_[pos_] == '{') {
                const auto nested = Object(depth + 1);
                if (!nested) {
                    return std::nullopt;
                }
                value = {Value::Kind::kObject, {}, *nested};
            } else {
                const auto number = Number();
                if (!number) {
                    return std::nullopt;  // true, false, null, arrays, anything else
                }
                value = {Value::Kind::kNumber, *number, 0};
            }
            objects_[index].emplace_back(*key, value);
        } while (Eat(','));
        if (!Eat('}')) {
            return std::nullopt;
        }
        return index;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::vector<Fields> objects_;
};

// Not a value the plain path decides: nlohmann's codec reads the payload instead.
struct NotPlain {};

// Reader's counterpart over PlainObjects: it returns only what Reader would return for the same
// payload, and leaves everything else (every error among it) to Reader.
class PlainReader {
public:
    PlainReader(const PlainObjects& objects, std::size_t index)
        : objects_(objects), fields_(objects.At(index)) {}

    std::string String(std::string_view key) const {
        const auto& v = Get(key, PlainObjects::Value::Kind::kString);
        if (v.text.empty()) {
            throw NotPlain{};
        }
        return std::string(v.text);
    }

    std::optional<std::string> OptionalString(std::string_view key) const {
        if (Find(key) == nullptr) {
            return std::nullopt;
        }
        return String(key);
    }

    // Digits only, no leading zero, up to 18 of them (an int64 without overflow).
    std::int64_t Version(std::string_view key) const {
        const auto text = Get(key, PlainObjects::Value::Kind::kNumber).text;
        if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0')) {
            throw NotPlain{};
        }
        std::int64_t value = 0;
        for (const char c : text) {
            if (c < '0' || c > '9') {
                throw NotPlain{};
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    // Whole dollars or dollars and one or two decimals, at most 15 digits in all: nlohmann's
    // double for such a text prints back as the same decimal (DBL_DIG), so ParsePrice would
    // judge the same digits that ParsePriceText reads here.
    util::Cents Price(std::string_view key) const {
        const auto text = Get(key, PlainObjects::Value::Kind::kNumber).text;
        const auto dot = text.find('.');
        const std::size_t decimals = dot == std::string_view::npos ? 0 : text.size() - dot - 1;
        const std::size_t digits = text.size() - (dot == std::string_view::npos ? 0 : 1);
        if (text.empty() || text[0] == '-' || decimals > 2 || digits > 15 ||
            text.find_first_of("eE") != std::string_view::npos) {
            throw NotPlain{};
        }
        const auto parsed = util::ParsePriceText(text);
        if (!parsed.ok()) {
            throw NotPlain{};
        }
        return *parsed.cents;
    }

    util::TimePoint Time(std::string_view key) const {
        const auto t = util::ParseIso8601(Get(key, PlainObjects::Value::Kind::kString).text);
        if (!t) {
            throw NotPlain{};
        }
        return *t;
    }

    PlainReader Object(std::string_view key) const {
        return PlainReader(objects_, Get(key, PlainObjects::Value::Kind::kObject).object);
    }

private:
    const PlainObjects::Value* Find(std::string_view key) const {
        for (const auto& [k, v] : fields_) {
            if (k == key) {
                return &v;
            }
        }
        return nullptr;
    }

    const PlainObjects::Value& Get(std::string_view key, PlainObjects::Value::Kind kind) const {
        const auto* v = Find(key);
        if (v == nullptr || v->kind != kind) {
            throw NotPlain{};
        }
        return *v;
    }

    const PlainObjects& objects_;
    const PlainObjects::Fields& fields_;
};

template <class Event>
std::optional<Event> DecodePlain(std::string_view payload) {
    PlainObjects objects;
    if (!objects.Parse(payload)) {
        return std::nullopt;
    }
    try {
        return ReadEvent(PlainReader(objects, 0), std::type_identity<Event>{});
    } catch (const NotPlain&) {
        return std::nullopt;
    } catch (const DecodeError&) {
        return std::nullopt;  // the general path says it, in its own order
    }
}

}  // namespace

template <class Event>
Event FromJson(const json& j) {
    return ReadEvent(Reader(j, ""), std::type_identity<Event>{});
}

namespace detail {

template <class Event>
std::string EncodeGeneral(const Event& e) {
    return ToJson(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

template <class Event>
Event DecodeGeneral(std::string_view payload) {
    json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        throw DecodeError("payload is not JSON");
    }
    return FromJson<Event>(j);
}

}  // namespace detail

template <class Event>
std::string Encode(const Event& e) {
    return EncodeDirect(e);
}

template <class Event>
Event Decode(std::string_view payload) {
    if (auto plain = DecodePlain<Event>(payload)) {
        return std::move(*plain);
    }
    return detail::DecodeGeneral<Event>(payload);
}

#define TICKETING_INSTANTIATE(E)                             \
    template E FromJson<E>(const json&);                     \
    template std::string Encode<E>(const E&);                \
    template E Decode<E>(std::string_view);                  \
    template std::string detail::EncodeGeneral<E>(const E&); \
    template E detail::DecodeGeneral<E>(std::string_view);

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

#include "domain/expiration_job.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ticketing::expiration {

std::optional<ExpirationJob> JobForOrderCreated(const events::OrderCreated& order,
                                                std::string traceparent) {
    if (order.status != events::OrderStatus::kCreated &&
        order.status != events::OrderStatus::kAwaitingPayment) {
        return std::nullopt;
    }
    return ExpirationJob{order.id, order.expires_at, std::move(traceparent)};
}

std::string EncodePayload(const ExpirationJob& job) {
    return nlohmann::json{{"traceparent", job.traceparent}}.dump();
}

std::string TraceparentFromPayload(std::string_view payload) {
    auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) {
        return {};
    }
    auto it = json.find("traceparent");
    if (it == json.end() || !it->is_string()) {
        return {};
    }
    return it->get<std::string>();
}

std::string ExpirationEventId(std::string_view order_id) {
    return "expiration-" + std::string(order_id);
}

std::chrono::milliseconds RetryDelay(std::int64_t attempt, const RetryPolicy& policy) {
    auto delay = policy.initial;
    for (std::int64_t i = 1; i < attempt && delay < policy.max; ++i) {
        delay *= 2;
    }
    return std::min(delay, policy.max);
}

std::chrono::milliseconds PollDelay(const PollState& state, std::chrono::milliseconds max_sleep) {
    using std::chrono::milliseconds;
    if (state.batch_was_full) {
        return milliseconds(0);
    }
    auto delay = max_sleep;
    for (const auto& at : {state.next_due, state.next_lease_end}) {
        if (at) {
            delay = std::min(delay, std::chrono::duration_cast<milliseconds>(*at - state.now));
        }
    }
    return std::max(delay, milliseconds(0));
}

}  // namespace ticketing::expiration

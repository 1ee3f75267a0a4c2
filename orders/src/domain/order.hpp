// The orders service's records: an order and its replica of a ticket. Pure data.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "common/events/events.hpp"
#include "common/util/clock.hpp"
#include "common/util/money.hpp"

namespace ticketing::orders {

using events::OrderStatus;

struct Ticket {
    std::string id;
    std::string title;
    util::Cents price = 0;
    std::int64_t version = 0;
};

struct Order {
    std::string id;
    std::string user_id;
    OrderStatus status = OrderStatus::kCreated;
    util::TimePoint expires_at;
    std::int64_t version = 0;
    util::TimePoint created_at;
    Ticket ticket;
};

// Created and awaiting:payment orders may still be cancelled by expiry or the buyer.
inline bool IsPending(OrderStatus s) {
    return s == OrderStatus::kCreated || s == OrderStatus::kAwaitingPayment;
}

}  // namespace ticketing::orders

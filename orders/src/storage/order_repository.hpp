// OrderRepository: the port through which the orders service stores its orders. An order read
// back carries its ticket as the replica holds it at that moment (TicketReplicaRepository).
// Reached only through an OrdersUnitOfWork, so several calls share one transaction with their
// outbox and inbox rows. SqlOrderRepository is the SQL implementation; domain and listener tests
// use test::InMemoryOrderRepository (common/testing/orders/).
// Thread-safety: an instance belongs to the unit of work that hands it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/order.hpp"

namespace ticketing::orders {

class OrderRepository {
public:
    virtual ~OrderRepository() = default;

    // Stores a new order for `order.ticket.id` (a ticket of the replica). False when that
    // ticket already has an active order (created, awaiting:payment or complete): at most one,
    // decided atomically, on any number of replicas.
    virtual bool Insert(const Order& order) = 0;
    virtual std::optional<Order> Find(const std::string& id) = 0;
    // The user's orders, oldest first (created_at, then id).
    virtual std::vector<Order> OfUser(const std::string& user_id) = 0;
    // Sets the status and version + 1 when the order is still at `expected_version`; false
    // when another writer got there first, and then nothing is written.
    virtual bool UpdateStatus(const std::string& id,
                              OrderStatus status,
                              std::int64_t expected_version) = 0;
};

}  // namespace ticketing::orders

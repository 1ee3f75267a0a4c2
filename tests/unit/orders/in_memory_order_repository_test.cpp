// The orders service's in-memory repositories keep the contract that the SQL ones run in
// tests/integration/orders, so the domain tests' fakes behave as the SQL does.
#include <gtest/gtest.h>

#include "common/testing/orders/in_memory_orders.hpp"
#include "common/testing/orders/order_repository_contract.hpp"

namespace ticketing::test {
namespace {

struct InMemoryOrders {
    orders::OrdersTransactions& runner() { return transactions; }

    InMemoryTicketReplicaRepository tickets;
    InMemoryOrderRepository orders{tickets};
    InMemoryOrdersTransactions transactions{orders, tickets};
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, OrderRepositoryContract, ::testing::Types<InMemoryOrders>);

}  // namespace
}  // namespace ticketing::test

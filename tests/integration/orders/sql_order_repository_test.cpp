// SqlOrderRepository and SqlTicketReplicaRepository on SQLite and PostgreSQL keep the contract
// the in-memory fakes run in tests/unit/orders.
#include "storage/sql_order_repository.hpp"

#include <gtest/gtest.h>

#include "common/testing/orders/order_repository_contract.hpp"
#include "common/testing/test_database.hpp"

#include "storage/migrations.hpp"

namespace ticketing::test {
namespace {

template <bool kPostgres>
using SqlOrders = SqlStorage<orders::SqlOrdersTransactions, kPostgres, &orders::Migrations>;

using Backends = ::testing::Types<SqlOrders<false>, SqlOrders<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sql, OrderRepositoryContract, Backends);

}  // namespace
}  // namespace ticketing::test

// test::InMemoryPayments keeps the payments repositories' contract, the same suite that the Sql*
// repositories run in tests/integration/payments, so the domain tests' fakes behave as the SQL
// does.
#include "common/testing/payments/in_memory_payments.hpp"

#include <gtest/gtest.h>

#include "common/testing/payments/payments_storage_contract.hpp"

namespace ticketing::test {
namespace {

struct InMemoryStorage {
    payments::PaymentsTransactions& runner() { return storage.transactions; }

    InMemoryPayments storage;
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory,
                               PaymentsStorageContract,
                               ::testing::Types<InMemoryStorage>);

}  // namespace
}  // namespace ticketing::test

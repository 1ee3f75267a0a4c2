// The payments service's Sql* repositories on SQLite and PostgreSQL keep the repositories'
// contract (the suite the in-memory fakes run in tests/unit/payments).
#include <gtest/gtest.h>

#include "common/testing/payments/payments_storage_contract.hpp"
#include "common/testing/process.hpp"
#include "common/testing/test_database.hpp"

#include "storage/migrations.hpp"
#include "storage/sql_payments_unit_of_work.hpp"

namespace ticketing::test {
namespace {

template <bool kPostgres>
struct SqlPayments {
    SqlPayments()
        : db(OpenTestDatabase(kPostgres, dir.Path(), "payments", payments::Migrations())),
          transactions(*db, nullptr) {}

    payments::PaymentsTransactions& runner() { return transactions; }

    TempDir dir;
    std::unique_ptr<db::Database> db;
    payments::SqlPaymentsTransactions transactions;
};

using Backends = ::testing::Types<SqlPayments<false>, SqlPayments<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sql, PaymentsStorageContract, Backends);

}  // namespace
}  // namespace ticketing::test

// SqlPaymentsUnitOfWork: the payments service's unit of work in SQL, its three repositories on
// the one session of a database transaction (common/storage/sql_unit_of_work.hpp), and
// SqlPaymentsTransactions, the runner main() gives PaymentService and the listeners:
//
//     payments::SqlPaymentsTransactions transactions(db, [&] { relay.Wake(); });
//
// Thread-safety: see common/storage/sql_unit_of_work.hpp.
#pragma once

#include "common/storage/sql_unit_of_work.hpp"

#include "storage/payments_unit_of_work.hpp"
#include "storage/sql_order_replica_repository.hpp"
#include "storage/sql_payment_attempt_repository.hpp"
#include "storage/sql_payment_repository.hpp"

namespace ticketing::payments {

class SqlPaymentsUnitOfWork final : public storage::BasicUnitOfWork<PaymentsUnitOfWork> {
public:
    SqlPaymentsUnitOfWork(soci::session& session, storage::Outbox& outbox, storage::Inbox& inbox)
        : BasicUnitOfWork(outbox, inbox),
          orders_(session),
          attempts_(session),
          payments_(session) {}
    OrderReplicaRepository& orders() override { return orders_; }
    PaymentAttemptRepository& attempts() override { return attempts_; }
    PaymentRepository& payments() override { return payments_; }

private:
    SqlOrderReplicaRepository orders_;
    SqlPaymentAttemptRepository attempts_;
    SqlPaymentRepository payments_;
};

using SqlPaymentsTransactions =
    storage::SqlTransactionRunner<PaymentsUnitOfWork, SqlPaymentsUnitOfWork>;

}  // namespace ticketing::payments

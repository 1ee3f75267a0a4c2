// PaymentsUnitOfWork: what one unit of work of the payments service offers (the port of
// common/storage/unit_of_work.hpp): its order replica, payment attempts and payments, and the
// outbox and inbox of the same transaction. PaymentService and the listeners run their work
// through PaymentsTransactions; main() gives them SqlPaymentsTransactions, the unit tests
// test::InMemoryPaymentsTransactions.
// Thread-safety: see common/storage/unit_of_work.hpp.
#pragma once

#include "common/storage/unit_of_work.hpp"

#include "storage/order_replica_repository.hpp"
#include "storage/payment_attempt_repository.hpp"
#include "storage/payment_repository.hpp"

namespace ticketing::payments {

class PaymentsUnitOfWork : public storage::UnitOfWork {
public:
    virtual OrderReplicaRepository& orders() = 0;
    virtual PaymentAttemptRepository& attempts() = 0;
    virtual PaymentRepository& payments() = 0;
};

using PaymentsTransactions = storage::TransactionRunner<PaymentsUnitOfWork>;

}  // namespace ticketing::payments

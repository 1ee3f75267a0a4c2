// The payments service's storage in memory, for unit tests of PaymentService and the listeners:
// its three repositories on maps, with the SQL implementation's rules (one active attempt per
// order, changes only from the state the SQL's WHERE clause names, the same orders of rows), and
// InMemoryPaymentsTransactions, the unit-of-work port over them
// (common/testing/in_memory_unit_of_work.hpp: rollback on a throw or a declined event, committed
// events kept in order). InMemoryPayments holds the lot:
//
//     test::InMemoryPayments storage;
//     payments::PaymentService service(storage.transactions, gateway, clock, ids);
//
// Thread-safety: as InMemoryTransactionRunner; inspect the repositories between calls.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/testing/in_memory_unit_of_work.hpp"

#include "storage/payments_unit_of_work.hpp"

namespace ticketing::test {

class InMemoryOrderReplicaRepository final
    : public payments::OrderReplicaRepository,
      public TransactionalState<std::map<std::string, payments::OrderReplica>> {
public:
    std::optional<payments::OrderReplica> Find(const std::string& id) override;
    bool Insert(const payments::OrderReplica& order) override;
    bool UpdateFromPrevious(const std::string& id,
                            payments::OrderStatus status,
                            std::int64_t version) override;
    // Nothing to do: the runner runs one unit of work at a time.
    void Lock(const std::string& id) override;
};

class InMemoryPaymentAttemptRepository final
    : public payments::PaymentAttemptRepository,
      public TransactionalState<std::map<std::string, payments::PaymentAttempt>> {
public:
    bool Insert(const payments::PaymentAttempt& attempt) override;
    std::optional<payments::PaymentAttempt> Find(const std::string& id) override;
    std::optional<payments::PaymentAttempt> FindActive(const std::string& order_id) override;
    bool TakeOver(const std::string& id,
                  util::TimePoint old_lease,
                  util::TimePoint new_lease) override;
    bool EndLease(const std::string& id, util::TimePoint now) override;
    bool MarkSucceeded(const std::string& id,
                       const std::string& charge_id,
                       util::TimePoint now) override;
    bool MarkFailed(const std::string& id,
                    const std::string& failure,
                    util::TimePoint now) override;
    std::vector<payments::PaymentAttempt> Expired(util::TimePoint now,
                                                  util::TimePoint created_after,
                                                  std::size_t limit) override;

    // For assertions: every attempt, in id order.
    std::vector<payments::PaymentAttempt> All() const;

private:
    // The pending attempt `id`, or nullptr.
    payments::PaymentAttempt* Pending(const std::string& id);
};

// Its due settlements join the payments with `orders`, as the SQL joins the two tables.
class InMemoryPaymentRepository final
    : public payments::PaymentRepository,
      public TransactionalState<std::map<std::string, payments::Payment>> {
public:
    explicit InMemoryPaymentRepository(InMemoryOrderReplicaRepository& orders) : orders_(orders) {}

    void Insert(const payments::Payment& payment) override;
    std::optional<payments::Payment> Find(const std::string& id) override;
    std::optional<payments::Payment> FindOfOrder(const std::string& order_id) override;
    std::vector<payments::DueSettlement> DueSettlements(const std::optional<std::string>& order_id,
                                                        std::size_t limit) override;
    bool RecordSettlement(const std::string& payment_id,
                          payments::PaymentStatus status,
                          const std::optional<std::string>& refund_id,
                          const std::optional<std::string>& failure,
                          util::TimePoint now) override;
    std::size_t CountFailedSettlements() override;

private:
    InMemoryOrderReplicaRepository& orders_;
};

class InMemoryPaymentsTransactions final
    : public InMemoryTransactionRunner<payments::PaymentsUnitOfWork> {
public:
    InMemoryPaymentsTransactions(InMemoryOrderReplicaRepository& orders,
                                 InMemoryPaymentAttemptRepository& attempts,
                                 InMemoryPaymentRepository& payments)
        : InMemoryTransactionRunner({&orders, &attempts, &payments}),
          orders_(orders),
          attempts_(attempts),
          payments_(payments) {}

protected:
    void RunOn(storage::Outbox& outbox,
               storage::Inbox& inbox,
               const std::function<void(payments::PaymentsUnitOfWork&)>& work) override;

private:
    InMemoryOrderReplicaRepository& orders_;
    InMemoryPaymentAttemptRepository& attempts_;
    InMemoryPaymentRepository& payments_;
};

// The three repositories and their runner, empty.
struct InMemoryPayments {
    InMemoryOrderReplicaRepository orders;
    InMemoryPaymentAttemptRepository attempts;
    InMemoryPaymentRepository payments{orders};
    InMemoryPaymentsTransactions transactions{orders, attempts, payments};
};

}  // namespace ticketing::test

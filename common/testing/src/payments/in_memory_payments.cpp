#include "common/testing/payments/in_memory_payments.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace ticketing::test {

using payments::AttemptStatus;
using payments::OrderReplica;
using payments::OrderStatus;
using payments::Payment;
using payments::PaymentAttempt;
using payments::PaymentStatus;

namespace {

template <class Map>
auto FindIn(const Map& rows, const std::string& id) {
    auto it = rows.find(id);
    return it == rows.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace

// ---- order replica ----

std::optional<OrderReplica> InMemoryOrderReplicaRepository::Find(const std::string& id) {
    return FindIn(data(), id);
}

bool InMemoryOrderReplicaRepository::Insert(const OrderReplica& order) {
    return data().emplace(order.id, order).second;
}

bool InMemoryOrderReplicaRepository::UpdateFromPrevious(const std::string& id,
                                                        OrderStatus status,
                                                        std::int64_t version) {
    auto it = data().find(id);
    if (it == data().end() || it->second.version != version - 1) {
        return false;
    }
    it->second.status = status;
    it->second.version = version;
    return true;
}

void InMemoryOrderReplicaRepository::Lock(const std::string&) {}

// ---- payment attempts ----

bool InMemoryPaymentAttemptRepository::Insert(const PaymentAttempt& attempt) {
    const bool active = attempt.status != AttemptStatus::kFailed;
    if (data().contains(attempt.id) || (active && FindActive(attempt.order_id))) {
        return false;  // the primary key, or the one active attempt per order
    }
    data().emplace(attempt.id, attempt);
    return true;
}

std::optional<PaymentAttempt> InMemoryPaymentAttemptRepository::Find(const std::string& id) {
    return FindIn(data(), id);
}

std::optional<PaymentAttempt> InMemoryPaymentAttemptRepository::FindActive(
    const std::string& order_id) {
    for (const auto& [id, a] : data()) {
        if (a.order_id == order_id && a.status != AttemptStatus::kFailed) {
            return a;
        }
    }
    return std::nullopt;
}

PaymentAttempt* InMemoryPaymentAttemptRepository::Pending(const std::string& id) {
    auto it = data().find(id);
    return it == data().end() || it->second.status != AttemptStatus::kPending ? nullptr
                                                                              : &it->second;
}

bool InMemoryPaymentAttemptRepository::TakeOver(const std::string& id,
                                                util::TimePoint old_lease,
                                                util::TimePoint new_lease) {
    PaymentAttempt* a = Pending(id);
    if (a == nullptr || a->lease_until != old_lease) {
        return false;
    }
    a->lease_until = new_lease;
    return true;
}

bool InMemoryPaymentAttemptRepository::EndLease(const std::string& id, util::TimePoint now) {
    PaymentAttempt* a = Pending(id);
    if (a == nullptr) {
        return false;
    }
    a->lease_until = now;
    return true;
}

bool InMemoryPaymentAttemptRepository::MarkSucceeded(const std::string& id,
                                                     const std::string& charge_id,
                                                     util::TimePoint) {
    PaymentAttempt* a = Pending(id);
    if (a == nullptr) {
        return false;
    }
    a->status = AttemptStatus::kSucceeded;
    a->charge_id = charge_id;
    a->source.clear();
    return true;
}

bool InMemoryPaymentAttemptRepository::MarkFailed(const std::string& id,
                                                  const std::string& failure,
                                                  util::TimePoint) {
    PaymentAttempt* a = Pending(id);
    if (a == nullptr) {
        return false;
    }
    a->status = AttemptStatus::kFailed;
    a->failure = failure;
    a->source.clear();
    return true;
}

std::vector<PaymentAttempt> InMemoryPaymentAttemptRepository::Expired(util::TimePoint now,
                                                                      util::TimePoint created_after,
                                                                      std::size_t limit) {
    std::vector<PaymentAttempt> out;
    for (const auto& [id, a] : data()) {
        if (a.status == AttemptStatus::kPending && a.lease_until < now &&
            a.created_at > created_after) {
            out.push_back(a);
        }
    }
    std::sort(out.begin(), out.end(), [](const PaymentAttempt& x, const PaymentAttempt& y) {
        return std::tie(x.lease_until, x.id) < std::tie(y.lease_until, y.id);
    });
    out.resize(std::min(out.size(), limit));
    return out;
}

std::vector<PaymentAttempt> InMemoryPaymentAttemptRepository::All() const {
    std::vector<PaymentAttempt> out;
    for (const auto& [id, a] : data()) {
        out.push_back(a);
    }
    return out;
}

// ---- payments ----

void InMemoryPaymentRepository::Insert(const Payment& payment) {
    if (data().contains(payment.id) || FindOfOrder(payment.order_id)) {
        // The primary key and payments_one_per_order: a plain INSERT fails on either.
        throw std::logic_error("a second payment " + payment.id + " for order " + payment.order_id);
    }
    data().emplace(payment.id, payment);
}

std::optional<Payment> InMemoryPaymentRepository::Find(const std::string& id) {
    return FindIn(data(), id);
}

std::optional<Payment> InMemoryPaymentRepository::FindOfOrder(const std::string& order_id) {
    for (const auto& [id, p] : data()) {
        if (p.order_id == order_id) {
            return p;
        }
    }
    return std::nullopt;
}

std::vector<payments::DueSettlement> InMemoryPaymentRepository::DueSettlements(
    const std::optional<std::string>& order_id, std::size_t limit) {
    std::vector<payments::DueSettlement> out;
    for (const auto& [id, p] : data()) {
        if (p.status != PaymentStatus::kAuthorized || (order_id && p.order_id != *order_id)) {
            continue;
        }
        auto order = orders_.Find(p.order_id);
        if (order && order->status == OrderStatus::kComplete) {
            out.push_back({p, payments::Settlement::kCapture});
        } else if (order && order->status == OrderStatus::kCancelled) {
            out.push_back({p, payments::Settlement::kRelease});
        }
    }
    std::sort(out.begin(),
              out.end(),
              [](const payments::DueSettlement& x, const payments::DueSettlement& y) {
                  return std::tie(x.payment.created_at, x.payment.id) <
                         std::tie(y.payment.created_at, y.payment.id);
              });
    out.resize(std::min(out.size(), limit));
    return out;
}

bool InMemoryPaymentRepository::RecordSettlement(const std::string& payment_id,
                                                 PaymentStatus status,
                                                 const std::optional<std::string>& refund_id,
                                                 const std::optional<std::string>& failure,
                                                 util::TimePoint) {
    auto it = data().find(payment_id);
    if (it == data().end() || it->second.status != PaymentStatus::kAuthorized) {
        return false;
    }
    it->second.status = status;
    it->second.refund_id = refund_id;
    it->second.failure = failure;
    return true;
}

std::size_t InMemoryPaymentRepository::CountFailedSettlements() {
    return static_cast<std::size_t>(
        std::count_if(data().begin(), data().end(), [](const auto& row) {
            return row.second.status == PaymentStatus::kFailed;
        }));
}

// ---- the unit of work ----

void InMemoryPaymentsTransactions::RunOn(
    storage::Outbox& outbox,
    storage::Inbox& inbox,
    const std::function<void(payments::PaymentsUnitOfWork&)>& work) {
    class UnitOfWork final : public storage::BasicUnitOfWork<payments::PaymentsUnitOfWork> {
    public:
        UnitOfWork(InMemoryPaymentsTransactions& t, storage::Outbox& o, storage::Inbox& i)
            : BasicUnitOfWork(o, i), t_(t) {}
        payments::OrderReplicaRepository& orders() override { return t_.orders_; }
        payments::PaymentAttemptRepository& attempts() override { return t_.attempts_; }
        payments::PaymentRepository& payments() override { return t_.payments_; }

    private:
        InMemoryPaymentsTransactions& t_;
    } uow(*this, outbox, inbox);
    work(uow);
}

}  // namespace ticketing::test

#include "storage/sql_payment_attempt_repository.hpp"

#include "common/db/sql.hpp"

namespace ticketing::payments {
namespace {

constexpr const char* kColumns =
    "SELECT id, order_id, amount, source, status, charge_id, failure, lease_until, created_at "
    "FROM payment_attempts ";

struct AttemptRow {
    std::string id, order_id, source, status, charge_id, failure;
    soci::indicator charge_ind = soci::i_null, failure_ind = soci::i_null;
    long long amount = 0, lease_until = 0, created_at = 0;

    PaymentAttempt ToAttempt() const {
        PaymentAttempt a;
        a.id = id;
        a.order_id = order_id;
        a.amount = amount;
        a.source = source;
        a.status = ParseAttemptStatus(status).value_or(AttemptStatus::kFailed);
        if (charge_ind == soci::i_ok) {
            a.charge_id = charge_id;
        }
        if (failure_ind == soci::i_ok) {
            a.failure = failure;
        }
        a.lease_until = util::FromEpochMs(lease_until);
        a.created_at = util::FromEpochMs(created_at);
        return a;
    }
};

void IntoAttempt(soci::statement& st, AttemptRow& r) {
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.order_id));
    st.exchange(soci::into(r.amount));
    st.exchange(soci::into(r.source));
    st.exchange(soci::into(r.status));
    st.exchange(soci::into(r.charge_id, r.charge_ind));
    st.exchange(soci::into(r.failure, r.failure_ind));
    st.exchange(soci::into(r.lease_until));
    st.exchange(soci::into(r.created_at));
}

// Executes a prepared write and tells whether it changed exactly one row.
bool ChangedOneRow(soci::statement& st) {
    st.execute(true);
    return st.get_affected_rows() == 1;
}

}  // namespace

std::optional<PaymentAttempt> SqlPaymentAttemptRepository::QueryOne(const std::string& condition,
                                                                    const std::string& param) {
    AttemptRow r;
    soci::statement st(session_);
    st.alloc();
    IntoAttempt(st, r);
    st.exchange(soci::use(param));
    st.prepare(std::string(kColumns) + condition);
    st.define_and_bind();
    st.execute();
    if (!st.fetch()) {
        return std::nullopt;
    }
    return r.ToAttempt();
}

bool SqlPaymentAttemptRepository::Insert(const PaymentAttempt& a) {
    const std::string status(ToString(a.status));
    const long long amount = a.amount, lease = util::ToEpochMs(a.lease_until),
                    created = util::ToEpochMs(a.created_at);
    // No conflict target: the partial unique index on active attempts is the conflict that
    // matters.
    soci::statement st =
        (session_.prepare << "INSERT INTO payment_attempts (id, order_id, amount, source, "
                             "status, lease_until, created_at, updated_at) VALUES (:id, "
                             ":order_id, :amount, :source, :status, :lease_until, :created_at, "
                             ":updated_at) ON CONFLICT DO NOTHING",
         soci::use(a.id),
         soci::use(a.order_id),
         soci::use(amount),
         soci::use(a.source),
         soci::use(status),
         soci::use(lease),
         soci::use(created),
         soci::use(created));
    return ChangedOneRow(st);
}

std::optional<PaymentAttempt> SqlPaymentAttemptRepository::Find(const std::string& id) {
    return QueryOne("WHERE id = :id", id);
}

std::optional<PaymentAttempt> SqlPaymentAttemptRepository::FindActive(const std::string& order_id) {
    return QueryOne("WHERE order_id = :order_id AND status IN ('pending', 'succeeded')", order_id);
}

bool SqlPaymentAttemptRepository::TakeOver(const std::string& id,
                                           util::TimePoint old_lease,
                                           util::TimePoint new_lease) {
    const long long old_ms = util::ToEpochMs(old_lease), new_ms = util::ToEpochMs(new_lease);
    soci::statement st =
        (session_.prepare << "UPDATE payment_attempts SET lease_until = :new_lease, updated_at "
                             "= :updated_at WHERE id = :id AND status = 'pending' AND "
                             "lease_until = :old_lease",
         soci::use(new_ms),
         soci::use(new_ms),
         soci::use(id),
         soci::use(old_ms));
    return ChangedOneRow(st);
}

bool SqlPaymentAttemptRepository::EndLease(const std::string& id, util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st = (session_.prepare << "UPDATE payment_attempts SET lease_until = :now, "
                                              "updated_at = :updated_at WHERE id = :id AND "
                                              "status = 'pending'",
                          soci::use(now_ms),
                          soci::use(now_ms),
                          soci::use(id));
    return ChangedOneRow(st);
}

bool SqlPaymentAttemptRepository::MarkSucceeded(const std::string& id,
                                                const std::string& charge_id,
                                                util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st =
        (session_.prepare << "UPDATE payment_attempts SET status = 'succeeded', charge_id = "
                             ":charge_id, source = '', updated_at = :updated_at WHERE id = :id "
                             "AND status = 'pending'",
         soci::use(charge_id),
         soci::use(now_ms),
         soci::use(id));
    return ChangedOneRow(st);
}

bool SqlPaymentAttemptRepository::MarkFailed(const std::string& id,
                                             const std::string& failure,
                                             util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st =
        (session_.prepare << "UPDATE payment_attempts SET status = 'failed', failure = "
                             ":failure, source = '', updated_at = :updated_at WHERE id = :id "
                             "AND status = 'pending'",
         soci::use(failure),
         soci::use(now_ms),
         soci::use(id));
    return ChangedOneRow(st);
}

std::vector<PaymentAttempt> SqlPaymentAttemptRepository::Expired(util::TimePoint now,
                                                                 util::TimePoint created_after,
                                                                 std::size_t limit) {
    const long long now_ms = util::ToEpochMs(now), after_ms = util::ToEpochMs(created_after),
                    max_rows = static_cast<long long>(limit);
    AttemptRow r;
    soci::statement st(session_);
    st.alloc();
    IntoAttempt(st, r);
    st.exchange(soci::use(now_ms));
    st.exchange(soci::use(after_ms));
    st.exchange(soci::use(max_rows));
    st.prepare(std::string(kColumns) +
               "WHERE status = 'pending' AND lease_until < :now AND created_at > :created_after "
               "ORDER BY lease_until, id LIMIT :max_rows");
    st.define_and_bind();
    st.execute();
    std::vector<PaymentAttempt> out;
    while (st.fetch()) {
        out.push_back(r.ToAttempt());
    }
    return out;
}

}  // namespace ticketing::payments

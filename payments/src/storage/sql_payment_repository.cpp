#include "storage/sql_payment_repository.hpp"

#include "common/db/sql.hpp"

namespace ticketing::payments {
namespace {

constexpr const char* kColumns =
    "SELECT p.id, p.order_id, p.attempt_id, p.stripe_id, p.refund_id, p.created_at, p.status, "
    "p.amount, p.failure";

struct PaymentRow {
    std::string id, order_id, attempt_id, stripe_id, refund_id, status, failure;
    soci::indicator refund_ind = soci::i_null, failure_ind = soci::i_null;
    long long created_at = 0, amount = 0;

    Payment ToPayment() const {
        Payment p;
        p.id = id;
        p.order_id = order_id;
        p.attempt_id = attempt_id;
        p.stripe_id = stripe_id;
        p.created_at = util::FromEpochMs(created_at);
        if (refund_ind == soci::i_ok) {
            p.refund_id = refund_id;
        }
        p.status = ParsePaymentStatus(status).value_or(PaymentStatus::kFailed);
        p.amount = amount;
        if (failure_ind == soci::i_ok) {
            p.failure = failure;
        }
        return p;
    }
};

void IntoPayment(soci::statement& st, PaymentRow& r) {
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.order_id));
    st.exchange(soci::into(r.attempt_id));
    st.exchange(soci::into(r.stripe_id));
    st.exchange(soci::into(r.refund_id, r.refund_ind));
    st.exchange(soci::into(r.created_at));
    st.exchange(soci::into(r.status));
    st.exchange(soci::into(r.amount));
    st.exchange(soci::into(r.failure, r.failure_ind));
}

// An authorised payment whose order has settled, with what it is owed. The CASE keeps the
// settlement in the row so one statement serves both the one-order and the sweep queries.
constexpr const char* kDueSettlements =
    ", CASE o.status WHEN 'complete' THEN 1 ELSE 0 END FROM payments p "
    "JOIN orders o ON o.id = p.order_id WHERE p.status = 'authorized' "
    "AND o.status IN ('complete', 'cancelled') ";

}  // namespace

std::optional<Payment> SqlPaymentRepository::QueryOne(const std::string& condition,
                                                      const std::string& param) {
    PaymentRow r;
    soci::statement st(session_);
    st.alloc();
    IntoPayment(st, r);
    st.exchange(soci::use(param));
    st.prepare(std::string(kColumns) + " FROM payments p " + condition);
    st.define_and_bind();
    st.execute();
    if (!st.fetch()) {
        return std::nullopt;
    }
    return r.ToPayment();
}

void SqlPaymentRepository::Insert(const Payment& p) {
    const long long created = util::ToEpochMs(p.created_at);
    const long long amount = p.amount;
    const std::string status(ToString(p.status));
    session_ << "INSERT INTO payments (id, order_id, attempt_id, stripe_id, created_at, status, "
                "amount) VALUES (:id, :order_id, :attempt_id, :stripe_id, :created_at, :status, "
                ":amount)",
        soci::use(p.id), soci::use(p.order_id), soci::use(p.attempt_id), soci::use(p.stripe_id),
        soci::use(created), soci::use(status), soci::use(amount);
}

std::optional<Payment> SqlPaymentRepository::Find(const std::string& id) {
    return QueryOne("WHERE p.id = :id", id);
}

std::optional<Payment> SqlPaymentRepository::FindOfOrder(const std::string& order_id) {
    return QueryOne("WHERE p.order_id = :order_id", order_id);
}

std::vector<DueSettlement> SqlPaymentRepository::DueSettlements(
    const std::optional<std::string>& order_id, std::size_t limit) {
    const long long max_rows = static_cast<long long>(limit);
    const std::string wanted_order = order_id.value_or("");
    PaymentRow r;
    int capture = 0;
    soci::statement st(session_);
    st.alloc();
    IntoPayment(st, r);
    st.exchange(soci::into(capture));
    std::string sql = std::string(kColumns) + kDueSettlements;
    if (order_id) {
        st.exchange(soci::use(wanted_order));
        sql += "AND p.order_id = :order_id ";
    }
    st.exchange(soci::use(max_rows));
    sql += "ORDER BY p.created_at, p.id LIMIT :max_rows";
    st.prepare(sql);
    st.define_and_bind();
    st.execute();
    std::vector<DueSettlement> out;
    while (st.fetch()) {
        out.push_back({r.ToPayment(), capture != 0 ? Settlement::kCapture : Settlement::kRelease});
    }
    return out;
}

bool SqlPaymentRepository::RecordSettlement(const std::string& payment_id,
                                            PaymentStatus status,
                                            const std::optional<std::string>& refund_id,
                                            const std::optional<std::string>& failure,
                                            util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    const std::string status_text(ToString(status));
    soci::indicator refund_ind = refund_id ? soci::i_ok : soci::i_null;
    soci::indicator failure_ind = failure ? soci::i_ok : soci::i_null;
    const std::string refund = refund_id.value_or("");
    const std::string why = failure.value_or("");
    soci::statement st =
        (session_.prepare << "UPDATE payments SET status = :status, refund_id = :refund_id, "
                             "failure = :failure, settled_at = :settled_at "
                             "WHERE id = :id AND status = 'authorized'",
         soci::use(status_text),
         soci::use(refund, refund_ind),
         soci::use(why, failure_ind),
         soci::use(now_ms),
         soci::use(payment_id));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

std::size_t SqlPaymentRepository::CountFailedSettlements() {
    long long n = 0;
    session_ << "SELECT COUNT(*) FROM payments WHERE status = 'failed'", soci::into(n);
    return static_cast<std::size_t>(n);
}

}  // namespace ticketing::payments

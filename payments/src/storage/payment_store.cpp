#include "storage/payment_store.hpp"

#include "common/db/sql.hpp"

namespace ticketing::payments {
namespace {

constexpr const char* kAttemptColumns =
    "SELECT id, order_id, amount, source, status, charge_id, failure, lease_until, created_at "
    "FROM payment_attempts ";

constexpr const char* kPaymentColumns =
    "SELECT p.id, p.order_id, p.attempt_id, p.stripe_id, p.refund_id, p.created_at, p.status, "
    "p.amount, p.failure FROM payments p ";

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

// Runs `sql` (kAttemptColumns + a condition on one string parameter) and returns the first row.
std::optional<PaymentAttempt> QueryAttempt(soci::session& s,
                                           const std::string& sql,
                                           const std::string& param) {
    AttemptRow r;
    soci::statement st(s);
    st.alloc();
    IntoAttempt(st, r);
    st.exchange(soci::use(param));
    st.prepare(sql);
    st.define_and_bind();
    st.execute();
    if (!st.fetch()) {
        return std::nullopt;
    }
    return r.ToAttempt();
}

std::optional<Payment> QueryPayment(soci::session& s,
                                    const std::string& sql,
                                    const std::string& param) {
    PaymentRow r;
    soci::statement st(s);
    st.alloc();
    IntoPayment(st, r);
    st.exchange(soci::use(param));
    st.prepare(sql);
    st.define_and_bind();
    st.execute();
    if (!st.fetch()) {
        return std::nullopt;
    }
    return r.ToPayment();
}

// Executes a prepared write and tells whether it changed exactly one row.
bool ChangedOneRow(soci::statement& st) {
    st.execute(true);
    return st.get_affected_rows() == 1;
}

}  // namespace

std::string_view ToString(AttemptStatus status) {
    switch (status) {
        case AttemptStatus::kPending:
            return "pending";
        case AttemptStatus::kSucceeded:
            return "succeeded";
        case AttemptStatus::kFailed:
            return "failed";
    }
    return "failed";
}

std::optional<AttemptStatus> ParseAttemptStatus(std::string_view text) {
    for (auto s : {AttemptStatus::kPending, AttemptStatus::kSucceeded, AttemptStatus::kFailed}) {
        if (ToString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view ToString(PaymentStatus status) {
    switch (status) {
        case PaymentStatus::kAuthorized:
            return "authorized";
        case PaymentStatus::kCaptured:
            return "captured";
        case PaymentStatus::kReleased:
            return "released";
        case PaymentStatus::kFailed:
            return "failed";
    }
    return "failed";
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text) {
    for (auto s : {PaymentStatus::kAuthorized,
                   PaymentStatus::kCaptured,
                   PaymentStatus::kReleased,
                   PaymentStatus::kFailed}) {
        if (ToString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view ToString(Settlement settlement) {
    return settlement == Settlement::kCapture ? "capture" : "release";
}

// ---- order replica ----

std::optional<OrderReplica> PaymentStore::FindOrder(soci::session& s, const std::string& id) {
    OrderReplica o;
    std::string status;
    long long price = 0, version = 0;
    s << "SELECT id, user_id, price, status, version FROM orders WHERE id = :id", soci::use(id),
        soci::into(o.id), soci::into(o.user_id), soci::into(price), soci::into(status),
        soci::into(version);
    if (!s.got_data()) {
        return std::nullopt;
    }
    o.price = price;
    o.status = events::ParseOrderStatus(status).value_or(OrderStatus::kCreated);
    o.version = version;
    return o;
}

bool PaymentStore::InsertOrder(soci::session& s, const OrderReplica& o) {
    const std::string status(events::ToString(o.status));
    const long long price = o.price, version = o.version;
    soci::statement st =
        (s.prepare << "INSERT INTO orders (id, user_id, price, status, version) "
                      "VALUES (:id, :user_id, :price, :status, :version) ON CONFLICT DO NOTHING",
         soci::use(o.id),
         soci::use(o.user_id),
         soci::use(price),
         soci::use(status),
         soci::use(version));
    return ChangedOneRow(st);
}

bool PaymentStore::UpdateOrderFromPrevious(soci::session& s,
                                           const std::string& id,
                                           OrderStatus status,
                                           std::int64_t version) {
    const std::string text(events::ToString(status));
    const long long next = version, previous = version - 1;
    soci::statement st = (s.prepare << "UPDATE orders SET status = :status, version = :next "
                                       "WHERE id = :id AND version = :previous",
                          soci::use(text),
                          soci::use(next),
                          soci::use(id),
                          soci::use(previous));
    return ChangedOneRow(st);
}

void PaymentStore::LockOrder(soci::session& s, const std::string& id) {
    s << "UPDATE orders SET version = version WHERE id = :id", soci::use(id);
}

// ---- payment attempts ----

bool PaymentStore::InsertAttempt(soci::session& s, const PaymentAttempt& a) {
    const std::string status(ToString(a.status));
    const long long amount = a.amount, lease = util::ToEpochMs(a.lease_until),
                    created = util::ToEpochMs(a.created_at);
    // No conflict target: the partial unique index on active attempts is the conflict that
    // matters.
    soci::statement st =
        (s.prepare << "INSERT INTO payment_attempts (id, order_id, amount, source, status, "
                      "lease_until, created_at, updated_at) VALUES (:id, :order_id, :amount, "
                      ":source, :status, :lease_until, :created_at, :updated_at) "
                      "ON CONFLICT DO NOTHING",
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

std::optional<PaymentAttempt> PaymentStore::FindAttempt(soci::session& s, const std::string& id) {
    return QueryAttempt(s, std::string(kAttemptColumns) + "WHERE id = :id", id);
}

std::optional<PaymentAttempt> PaymentStore::FindActiveAttempt(soci::session& s,
                                                              const std::string& order_id) {
    return QueryAttempt(s,
                        std::string(kAttemptColumns) +
                            "WHERE order_id = :order_id AND status IN ('pending', 'succeeded')",
                        order_id);
}

bool PaymentStore::TakeOverAttempt(soci::session& s,
                                   const std::string& id,
                                   util::TimePoint old_lease,
                                   util::TimePoint new_lease) {
    const long long old_ms = util::ToEpochMs(old_lease), new_ms = util::ToEpochMs(new_lease);
    soci::statement st =
        (s.prepare << "UPDATE payment_attempts SET lease_until = :new_lease, updated_at = "
                      ":updated_at WHERE id = :id AND status = 'pending' AND lease_until = "
                      ":old_lease",
         soci::use(new_ms),
         soci::use(new_ms),
         soci::use(id),
         soci::use(old_ms));
    return ChangedOneRow(st);
}

bool PaymentStore::ReleaseAttempt(soci::session& s, const std::string& id, util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st =
        (s.prepare << "UPDATE payment_attempts SET lease_until = :now, updated_at = :updated_at "
                      "WHERE id = :id AND status = 'pending'",
         soci::use(now_ms),
         soci::use(now_ms),
         soci::use(id));
    return ChangedOneRow(st);
}

bool PaymentStore::SucceedAttempt(soci::session& s,
                                  const std::string& id,
                                  const std::string& charge_id,
                                  util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st =
        (s.prepare << "UPDATE payment_attempts SET status = 'succeeded', charge_id = :charge_id, "
                      "source = '', updated_at = :updated_at WHERE id = :id AND status = "
                      "'pending'",
         soci::use(charge_id),
         soci::use(now_ms),
         soci::use(id));
    return ChangedOneRow(st);
}

bool PaymentStore::FailAttempt(soci::session& s,
                               const std::string& id,
                               const std::string& failure,
                               util::TimePoint now) {
    const long long now_ms = util::ToEpochMs(now);
    soci::statement st =
        (s.prepare << "UPDATE payment_attempts SET status = 'failed', failure = :failure, "
                      "source = '', updated_at = :updated_at WHERE id = :id AND status = "
                      "'pending'",
         soci::use(failure),
         soci::use(now_ms),
         soci::use(id));
    return ChangedOneRow(st);
}

std::vector<PaymentAttempt> PaymentStore::ExpiredAttempts(soci::session& s,
                                                          util::TimePoint now,
                                                          util::TimePoint created_after,
                                                          std::size_t limit) {
    const long long now_ms = util::ToEpochMs(now), after_ms = util::ToEpochMs(created_after),
                    max_rows = static_cast<long long>(limit);
    AttemptRow r;
    soci::statement st(s);
    st.alloc();
    IntoAttempt(st, r);
    st.exchange(soci::use(now_ms));
    st.exchange(soci::use(after_ms));
    st.exchange(soci::use(max_rows));
    st.prepare(std::string(kAttemptColumns) +
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

// ---- payments ----

void PaymentStore::InsertPayment(soci::session& s, const Payment& p) {
    const long long created = util::ToEpochMs(p.created_at);
    const long long amount = p.amount;
    const std::string status(ToString(p.status));
    s << "INSERT INTO payments (id, order_id, attempt_id, stripe_id, created_at, status, amount) "
         "VALUES (:id, :order_id, :attempt_id, :stripe_id, :created_at, :status, :amount)",
        soci::use(p.id), soci::use(p.order_id), soci::use(p.attempt_id), soci::use(p.stripe_id),
        soci::use(created), soci::use(status), soci::use(amount);
}

std::optional<Payment> PaymentStore::FindPayment(soci::session& s, const std::string& id) {
    return QueryPayment(s, std::string(kPaymentColumns) + "WHERE p.id = :id", id);
}

std::optional<Payment> PaymentStore::FindPaymentOfOrder(soci::session& s,
                                                        const std::string& order_id) {
    return QueryPayment(s, std::string(kPaymentColumns) + "WHERE p.order_id = :order_id", order_id);
}

namespace {

// An authorised payment whose order has settled, with what it is owed. The CASE keeps the
// settlement in the row so one statement serves both the one-order and the sweep queries.
constexpr const char* kDueSettlements =
    ", CASE o.status WHEN 'complete' THEN 1 ELSE 0 END FROM payments p "
    "JOIN orders o ON o.id = p.order_id WHERE p.status = 'authorized' "
    "AND o.status IN ('complete', 'cancelled') ";

std::string DueSettlementColumns() {
    std::string columns = kPaymentColumns;
    columns.resize(columns.find(" FROM payments p "));
    return columns;
}

}  // namespace

std::vector<DueSettlement> PaymentStore::DueSettlements(soci::session& s,
                                                        const std::optional<std::string>& order_id,
                                                        std::size_t limit) {
    const long long max_rows = static_cast<long long>(limit);
    const std::string wanted_order = order_id.value_or("");
    PaymentRow r;
    int capture = 0;
    soci::statement st(s);
    st.alloc();
    IntoPayment(st, r);
    st.exchange(soci::into(capture));
    std::string sql = DueSettlementColumns() + kDueSettlements;
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

bool PaymentStore::RecordSettlement(soci::session& s,
                                    const std::string& payment_id,
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
        (s.prepare << "UPDATE payments SET status = :status, refund_id = :refund_id, "
                      "failure = :failure, settled_at = :settled_at "
                      "WHERE id = :id AND status = 'authorized'",
         soci::use(status_text),
         soci::use(refund, refund_ind),
         soci::use(why, failure_ind),
         soci::use(now_ms),
         soci::use(payment_id));
    return ChangedOneRow(st);
}

std::size_t PaymentStore::CountFailedSettlements(soci::session& s) {
    long long n = 0;
    s << "SELECT COUNT(*) FROM payments WHERE status = 'failed'", soci::into(n);
    return static_cast<std::size_t>(n);
}

}  // namespace ticketing::payments

#include "storage/sql_ticket_repository.hpp"

#include <chrono>
#include <utility>

#include "common/db/sql.hpp"

namespace ticketing::tickets {
namespace {

constexpr const char* kColumns =
    "SELECT id, title, price, user_id, order_id, version, created_at, sold FROM tickets ";

// One row of kColumns, bound with soci::into.
struct TicketRow {
    std::string id, title, user_id, order_id;
    soci::indicator order_id_ind = soci::i_null;
    long long price = 0, version = 0, created_at = 0, sold = 0;

    Ticket ToTicket() const {
        return Ticket{
            id,
            title,
            price,
            user_id,
            order_id_ind == soci::i_ok ? std::optional<std::string>(order_id) : std::nullopt,
            version,
            util::FromEpochMs(created_at),
            sold != 0};
    }
};

// kColumns + `tail`, its columns bound into `r` and `tail`'s parameters to `uses`, in order.
template <class... Uses>
soci::statement PrepareRows(soci::session& s, const char* tail, TicketRow& r, Uses&&... uses) {
    // A binary fold over soci's comma operator: the columns first, then the parameters.
    return ((s.prepare << std::string(kColumns) + tail,
             soci::into(r.id),
             soci::into(r.title),
             soci::into(r.price),
             soci::into(r.user_id),
             soci::into(r.order_id, r.order_id_ind),
             soci::into(r.version),
             soci::into(r.created_at),
             soci::into(r.sold)),
            ...,
            std::forward<Uses>(uses));
}

}  // namespace

void SqlTicketRepository::Insert(const Ticket& t) {
    const long long price = t.price, version = t.version,
                    created_at = util::ToEpochMs(t.created_at);
    const std::string order_id = t.order_id.value_or("");
    soci::indicator order_id_ind = t.order_id ? soci::i_ok : soci::i_null;
    // Nothing reads its answer (the id is ours): on PostgreSQL it goes with the next statement,
    // so POST /api/tickets (BEGIN, this, the event's INSERT, COMMIT) is one round trip.
    db::SendWithNextStatement(session_);
    session_ << "INSERT INTO tickets (id, title, price, user_id, order_id, version, created_at) "
                "VALUES (:id, :title, :price, :user_id, :order_id, :version, :created_at)",
        soci::use(t.id), soci::use(t.title), soci::use(price), soci::use(t.user_id),
        soci::use(order_id, order_id_ind), soci::use(version), soci::use(created_at);
}

namespace {

// The ticket `id`, read with kColumns + `tail` (which binds :id).
std::optional<Ticket> FindOne(soci::session& s, const char* tail, const std::string& id) {
    TicketRow r;
    soci::statement st = PrepareRows(s, tail, r, soci::use(id));
    if (!st.execute(true)) {
        return std::nullopt;
    }
    return r.ToTicket();
}

}  // namespace

std::optional<Ticket> SqlTicketRepository::Find(const std::string& id) {
    return FindOne(session_, "WHERE id = :id", id);
}

std::optional<Ticket> SqlTicketRepository::FindForUpdate(const std::string& id) {
    // SQLite has no FOR UPDATE and needs none: a write transaction there is BEGIN IMMEDIATE,
    // which excludes every other writer from its start.
    if (session_.get_backend_name() != "postgresql") {
        return Find(id);
    }
    return FindOne(session_, "WHERE id = :id FOR UPDATE", id);
}

namespace {

// Runs kColumns + `where` + the page's keyset condition and order, `where`'s own parameter (if
// any) bound first.
std::vector<Ticket> ListPage(soci::session& s,
                             const std::string& where,
                             const std::optional<std::string>& where_param,
                             const PageRequest& page) {
    std::string tail = where;
    std::string cursor;
    if (page.oldest_first) {
        tail += " AND id > :cursor ORDER BY id LIMIT :n";
        cursor = page.after;
    } else if (!page.before.empty()) {
        tail += " AND id < :cursor ORDER BY id DESC LIMIT :n";
        cursor = page.before;
    } else {
        tail += " ORDER BY id DESC LIMIT :n";
    }
    TicketRow r;
    const long long n = static_cast<long long>(page.limit);
    soci::statement st(s);
    st.alloc();
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.title));
    st.exchange(soci::into(r.price));
    st.exchange(soci::into(r.user_id));
    st.exchange(soci::into(r.order_id, r.order_id_ind));
    st.exchange(soci::into(r.version));
    st.exchange(soci::into(r.created_at));
    st.exchange(soci::into(r.sold));
    if (where_param) {
        st.exchange(soci::use(*where_param));
    }
    if (page.oldest_first || !page.before.empty()) {
        st.exchange(soci::use(cursor));
    }
    st.exchange(soci::use(n));
    st.prepare(std::string(kColumns) + tail);
    st.define_and_bind();
    std::vector<Ticket> out;
    if (st.execute(true)) {
        do {
            out.push_back(r.ToTicket());
        } while (st.fetch());
    }
    return out;
}

}  // namespace

std::vector<Ticket> SqlTicketRepository::ListUnreserved(const PageRequest& page) {
    return ListPage(session_, "WHERE order_id IS NULL", std::nullopt, page);
}

std::vector<Ticket> SqlTicketRepository::ListOfSeller(const std::string& user_id,
                                                      const PageRequest& page) {
    return ListPage(session_, "WHERE user_id = :user_id", user_id, page);
}

bool SqlTicketRepository::MarkSold(const std::string& ticket_id, const std::string& order_id) {
    soci::statement st =
        (session_.prepare << "UPDATE tickets SET sold = 1 WHERE id = :id AND order_id = :order_id "
                             "AND sold = 0",
         soci::use(ticket_id),
         soci::use(order_id));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

bool SqlTicketRepository::Update(const Ticket& next, std::int64_t expected_version) {
    const long long price = next.price, version = next.version, expected = expected_version;
    const std::string order_id = next.order_id.value_or("");
    soci::indicator order_id_ind = next.order_id ? soci::i_ok : soci::i_null;
    soci::statement st =
        (session_.prepare
             << "UPDATE tickets SET title = :title, price = :price, order_id = :order_id, "
                "version = :version WHERE id = :id AND version = :expected",
         soci::use(next.title),
         soci::use(price),
         soci::use(order_id, order_id_ind),
         soci::use(version),
         soci::use(next.id),
         soci::use(expected));
    st.execute(true);
    return st.get_affected_rows() == 1;
}

void SqlTicketRepository::RecordCancelledOrder(const std::string& order_id,
                                               const std::string& ticket_id) {
    const long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    session_ << "INSERT INTO cancelled_orders (order_id, ticket_id, cancelled_at) "
                "VALUES (:order_id, :ticket_id, :cancelled_at) ON CONFLICT DO NOTHING",
        soci::use(order_id), soci::use(ticket_id), soci::use(now);
}

bool SqlTicketRepository::IsOrderCancelled(const std::string& order_id) {
    int found = 0;
    session_ << "SELECT 1 FROM cancelled_orders WHERE order_id = :order_id", soci::use(order_id),
        soci::into(found);
    return session_.got_data();
}

}  // namespace ticketing::tickets

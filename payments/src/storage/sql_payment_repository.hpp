// SqlPaymentRepository: PaymentRepository in SQL (table `payments`, joined with the replica's
// `orders` for the settlements due; migrations/), one statement per call on the session of the
// unit of work that holds it. Portable between SQLite and PostgreSQL (common/db/database.hpp):
// settlements are recorded only over `authorized`, checked by the affected-row count; the due
// ones are served by the partial index payments_authorized.
// Thread-safety: an instance and its session belong to one unit of work.
#pragma once

#include "storage/payment_repository.hpp"

namespace soci {
class session;
}

namespace ticketing::payments {

class SqlPaymentRepository final : public PaymentRepository {
public:
    explicit SqlPaymentRepository(soci::session& session) : session_(session) {}

    void Insert(const Payment& payment) override;
    std::optional<Payment> Find(const std::string& id) override;
    std::optional<Payment> FindOfOrder(const std::string& order_id) override;
    std::vector<DueSettlement> DueSettlements(const std::optional<std::string>& order_id,
                                              std::size_t limit) override;
    bool RecordSettlement(const std::string& payment_id,
                          PaymentStatus status,
                          const std::optional<std::string>& refund_id,
                          const std::optional<std::string>& failure,
                          util::TimePoint now) override;
    std::size_t CountFailedSettlements() override;

private:
    // Runs the payment columns + `condition` (on one string parameter); the first row.
    std::optional<Payment> QueryOne(const std::string& condition, const std::string& param);

    soci::session& session_;
};

}  // namespace ticketing::payments

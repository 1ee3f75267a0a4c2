// SqlPaymentAttemptRepository: PaymentAttemptRepository in SQL (table `payment_attempts`,
// migrations/), one statement per call on the session of the unit of work that holds it.
// Portable between SQLite and PostgreSQL (common/db/database.hpp): the partial unique index
// payment_attempts_one_active_per_order decides the one active attempt per order (ON CONFLICT
// DO NOTHING), state changes are checked by their affected-row count, the recovery sweep is
// served by the partial index payment_attempts_pending.
// Thread-safety: an instance and its session belong to one unit of work.
#pragma once

#include "storage/payment_attempt_repository.hpp"

namespace soci {
class session;
}

namespace ticketing::payments {

class SqlPaymentAttemptRepository final : public PaymentAttemptRepository {
public:
    explicit SqlPaymentAttemptRepository(soci::session& session) : session_(session) {}

    bool Insert(const PaymentAttempt& attempt) override;
    std::optional<PaymentAttempt> Find(const std::string& id) override;
    std::optional<PaymentAttempt> FindActive(const std::string& order_id) override;
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
    std::vector<PaymentAttempt> Expired(util::TimePoint now,
                                        util::TimePoint created_after,
                                        std::size_t limit) override;

private:
    // Runs kColumns + `condition` (on one string parameter) and returns the first row.
    std::optional<PaymentAttempt> QueryOne(const std::string& condition, const std::string& param);

    soci::session& session_;
};

}  // namespace ticketing::payments

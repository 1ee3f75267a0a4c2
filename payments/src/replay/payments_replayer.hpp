// PaymentsReplayer: how the payments service rebuilds its database from the stream (DESIGN.md
// section 8): the order replica from order:created / order:cancelled / order:completed (the
// version rule), and one payment per payment:created, with the succeeded attempt that made it
// (the attempt takes the payment's id; amount is the order's price, created_at the event's
// Ticketing-Occurred-At, which is when the payment was recorded).
// Not in the log, so not rebuilt: declined and abandoned attempts, and what the gateway did with
// each authorisation. A payment therefore comes back `authorized` (amount: the order's price);
// when its order completed or was cancelled, the service's recovery sweep captures or releases it
// again with the same idempotency key (`capture-` / `release-<payment id>`), which the gateway
// answers with the first result (and a charge captured or released already counts as done). The
// canonical dump (DumpTables) holds what the log determines: the replica, and each payment's id,
// order, charge and time.
// Thread-safety: none; one replay at a time.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/db/dump.hpp"
#include "common/service/replay.hpp"

#include "domain/payment.hpp"

namespace ticketing::payments {

class PaymentsReplayer final : public service::EventReplayer {
public:
    std::vector<std::string> Tables() const override;
    Outcome Apply(const bus::StoredEvent& event) override;
    void Write(soci::session& tx) override;

private:
    std::unordered_map<std::string, OrderReplica> orders_;
    std::unordered_map<std::string, Payment> payments_;  // by order id: one per order
};

std::vector<db::TableDump> DumpTables();

}  // namespace ticketing::payments

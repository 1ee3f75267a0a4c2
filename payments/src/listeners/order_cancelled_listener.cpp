#include "common/log/log.hpp"

#include "domain/payment_service.hpp"
#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCancelledListener::Handle(const events::OrderCancelled& e,
                                                const bus::MessageMeta& meta) {
    auto decision =
        ApplyOrderStatus(ctx_.db, meta, e.id, events::OrderStatus::kCancelled, e.version);
    if (decision != bus::AckDecision::kAck) {
        return decision;
    }
    // The replica says cancelled now, so a payment that succeeded is owed back. Checked after
    // the commit and on every delivery (also a duplicate one), outside any transaction: the
    // gateway call must not hold the database, and a refund that failed is retried by the
    // redelivery. The refund id recorded on the payment and the key refund-<payment id> make a
    // repeat a no-op.
    try {
        ctx_.payments.RefundIfOwed(e.id);
    } catch (const GatewayError& error) {
        if (error.kind() == GatewayError::Kind::kUnavailable) {
            // A dependency down, not a version gap: rethrown, the listener retries it with a
            // capped backoff for as long as the outage lasts and never dead-letters it.
            throw;
        }
        log::Error(
            "refund refused by the gateway",
            {{"order_id", e.id}, {"reason", ToString(error.kind())}, {"error", error.what()}});
        return bus::AckDecision::kDeadLetter;
    }
    return bus::AckDecision::kAck;
}

}  // namespace ticketing::payments

#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& e,
                                                const bus::MessageMeta& meta) {
    return SettleAfter(
        ApplyOrderStatus(ctx_.transactions, meta, e.id, events::OrderStatus::kComplete, e.version),
        ctx_.payments,
        e.id);
}

}  // namespace ticketing::payments

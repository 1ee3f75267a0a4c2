#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCancelledListener::Handle(const events::OrderCancelled& e,
                                                const bus::MessageMeta& meta) {
    return SettleAfter(
        ApplyOrderStatus(ctx_.transactions, meta, e.id, events::OrderStatus::kCancelled, e.version),
        ctx_.payments,
        e.id);
}

}  // namespace ticketing::payments

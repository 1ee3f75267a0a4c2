#include "listeners/listeners.hpp"

namespace ticketing::payments {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& e,
                                                const bus::MessageMeta& meta) {
    return ApplyOrderStatus(ctx_.db, meta, e.id, events::OrderStatus::kComplete, e.version);
}

}  // namespace ticketing::payments

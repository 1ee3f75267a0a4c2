#include "listeners/listeners.hpp"

#include "common/log/log.hpp"

namespace ticketing::expiration {

bus::AckDecision OrderCompletedListener::Handle(const events::OrderCompleted& event,
                                                const bus::MessageMeta& /*meta*/) const {
    if (queue_.Cancel(event.id)) {
        metrics_.removed.Inc();
        log::Debug("expiration removed", {{"order_id", event.id}, {"reason", "order completed"}});
    }
    return bus::AckDecision::kAck;
}

}  // namespace ticketing::expiration

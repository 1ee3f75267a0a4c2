#include "common/storage/sql_unit_of_work.hpp"

#include <stdexcept>

#include "common/bus/inbox.hpp"
#include "common/bus/outbox.hpp"

namespace ticketing::storage {

void SqlOutbox::AddEnvelope(const bus::Envelope& envelope) {
    if (!writable_) {
        throw std::logic_error("an event added outside a transaction (TransactionRunner::Read)");
    }
    const long long id = bus::Outbox::AddEnvelope(session_, envelope);
    if (keep_rows_) {
        rows_.push_back({id, envelope});
    }
    added_ = true;
}

bool SqlInbox::Record(const std::string& consumer, const std::string& event_id) {
    if (!writable_) {
        throw std::logic_error("the inbox written outside a transaction (TransactionRunner::Read)");
    }
    return bus::RecordHandled(session_, consumer, event_id);
}

}  // namespace ticketing::storage

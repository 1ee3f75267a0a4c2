#include "common/testing/in_memory_unit_of_work.hpp"

#include <stdexcept>

#include "common/db/errors.hpp"

namespace ticketing::test {

void InMemoryOutbox::AddEnvelope(const bus::Envelope& envelope) {
    if (!writable_) {
        throw std::logic_error("an event added outside a transaction (TransactionRunner::Read)");
    }
    added_.push_back(envelope);
}

bool InMemoryInbox::Record(const std::string& consumer, const std::string& event_id) {
    if (!writable_) {
        throw std::logic_error("the inbox written outside a transaction (TransactionRunner::Read)");
    }
    auto key = std::make_pair(consumer, event_id);
    if (committed_.contains(key)) {
        return false;
    }
    return added_.insert(std::move(key)).second;
}

std::vector<bus::Envelope> InMemoryTransactions::Envelopes() const {
    std::lock_guard lock(mu_);
    return committed_;
}

void InMemoryTransactions::FailNextCommit(int n) {
    std::lock_guard lock(mu_);
    fail_next_commit_ = n;
}

std::size_t InMemoryTransactions::commits() const {
    std::lock_guard lock(mu_);
    return commits_;
}

void InMemoryTransactions::RunTransaction(
    bool transaction, const std::function<void(InMemoryOutbox&, InMemoryInbox&)>& run) {
    std::lock_guard lock(mu_);
    InMemoryOutbox outbox(transaction);
    InMemoryInbox inbox(handled_, transaction);
    for (Transactional* table : tables_) {
        table->Begin();
    }
    auto rollback = [this] {
        for (Transactional* table : tables_) {
            table->Rollback();
        }
    };
    try {
        run(outbox, inbox);
        if (transaction && fail_next_commit_ > 0) {
            --fail_next_commit_;
            throw db::UnavailableError("Database unavailable");
        }
    } catch (...) {
        rollback();
        throw;
    }
    if (!transaction) {
        rollback();  // a read keeps nothing, whatever it did
        return;
    }
    for (Transactional* table : tables_) {
        table->Commit();
    }
    handled_.merge(inbox.added());
    for (auto& envelope : outbox.added()) {
        committed_.push_back(std::move(envelope));
    }
    ++commits_;
}

}  // namespace ticketing::test

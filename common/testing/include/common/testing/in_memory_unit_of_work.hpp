// The in-memory implementation of the unit-of-work port (common/storage/unit_of_work.hpp), for
// unit tests of domain code and listeners: no database, no thread.
//   - Transactional: a fake repository whose state follows the runner's transactions. Derive
//     from TransactionalState<Data> to get it by snapshot: copied when a transaction begins, put
//     back when it rolls back.
//   - InMemoryTransactionRunner<U>: runs one unit of work at a time. A transaction whose work
//     throws (HandleOnce's kRetry and kDeadLetter throw inside) or whose commit is failed by
//     FailNextCommit() keeps nothing: every table rolls back, its events and inbox records are
//     dropped. The events of committed transactions are kept in commit order (Envelopes,
//     Published<E>), as the relay would publish them. Read() rolls back whatever it did, and its
//     outbox and inbox refuse writes (std::logic_error) as the SQL runner's do.
// A service's fake derives from InMemoryTransactionRunner<ItsUnitOfWork>, passes its tables to
// the constructor and builds its unit of work in RunOn (common/testing/tickets/ is an example).
// Thread-safety: Run, Read and HandleOnce are serialised by a mutex (and must not nest); read the
// tables and the events between calls.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/storage/unit_of_work.hpp"
#include "common/testing/fake_bus.hpp"

namespace ticketing::test {

class Transactional {
public:
    virtual ~Transactional() = default;
    virtual void Begin() = 0;
    virtual void Commit() = 0;
    virtual void Rollback() = 0;
};

// Data: a copyable value holding a fake's tables.
template <class Data>
class TransactionalState : public Transactional {
public:
    void Begin() override { saved_ = data_; }
    void Commit() override { saved_.reset(); }
    void Rollback() override {
        if (saved_) {
            data_ = std::move(*saved_);
            saved_.reset();
        }
    }

protected:
    Data& data() { return data_; }
    const Data& data() const { return data_; }

private:
    Data data_;
    std::optional<Data> saved_;
};

// The events one unit of work added, dropped unless it commits.
class InMemoryOutbox final : public storage::Outbox {
public:
    explicit InMemoryOutbox(bool writable) : writable_(writable) {}
    void AddEnvelope(const bus::Envelope& envelope) override;
    std::vector<bus::Envelope>& added() { return added_; }

private:
    bool writable_;
    std::vector<bus::Envelope> added_;
};

// The inbox records of one unit of work over the runner's committed ones.
class InMemoryInbox final : public storage::Inbox {
public:
    using Records = std::set<std::pair<std::string, std::string>>;
    InMemoryInbox(const Records& committed, bool writable)
        : committed_(committed), writable_(writable) {}
    bool Record(const std::string& consumer, const std::string& event_id) override;
    Records& added() { return added_; }

private:
    const Records& committed_;
    bool writable_;
    Records added_;
};

// The part of InMemoryTransactionRunner that does not depend on the unit of work's type.
class InMemoryTransactions {
public:
    // The events of the committed transactions, in commit order (what the relay would publish).
    std::vector<bus::Envelope> Envelopes() const;
    template <events::EventType E>
    std::vector<E> Published() const {
        return EventsOf<E>(Envelopes());
    }
    // The next `n` transactions fail at their commit with db::UnavailableError ("Database
    // unavailable"), after their work ran: nothing they did is kept.
    void FailNextCommit(int n = 1);
    std::size_t commits() const;

protected:
    explicit InMemoryTransactions(std::initializer_list<Transactional*> tables) : tables_(tables) {}
    // Runs `run` (the work on a unit of work over `outbox` and `inbox`) as one transaction, or
    // as a read when `transaction` is false.
    void RunTransaction(bool transaction,
                        const std::function<void(InMemoryOutbox&, InMemoryInbox&)>& run);

private:
    std::vector<Transactional*> tables_;
    mutable std::mutex mu_;
    std::vector<bus::Envelope> committed_;
    InMemoryInbox::Records handled_;
    int fail_next_commit_ = 0;
    std::size_t commits_ = 0;
};

template <class U>
class InMemoryTransactionRunner : public storage::TransactionRunner<U>,
                                  public InMemoryTransactions {
protected:
    using InMemoryTransactions::InMemoryTransactions;

    // Builds the service's unit of work over its tables with `outbox` and `inbox`, and runs work.
    virtual void RunOn(storage::Outbox& outbox,
                       storage::Inbox& inbox,
                       const std::function<void(U&)>& work) = 0;

private:
    using Mode = typename storage::TransactionRunner<U>::Mode;

    void Execute(Mode mode, const std::function<void(U&)>& work) final {
        RunTransaction(
            mode == Mode::kTransaction,
            [&](InMemoryOutbox& outbox, InMemoryInbox& inbox) { RunOn(outbox, inbox, work); });
    }
};

}  // namespace ticketing::test

// The unit-of-work port (STYLE.md "Shape"; DESIGN.md section 5): how a service's domain code and
// listeners change state together with the events the change causes and, for a listener, the
// inbox row that makes an event's handling happen once. Everything done through one UnitOfWork
// commits together or not at all.
//
// A service declares what one unit of work offers it, next to its repository interfaces:
//
//     class TicketsUnitOfWork : public storage::UnitOfWork {
//     public:
//         virtual TicketRepository& tickets() = 0;
//     };
//     using TicketsTransactions = storage::TransactionRunner<TicketsUnitOfWork>;
//
// and its domain code runs the work through the runner:
//
//     Ticket saved = transactions_.Run([&](TicketsUnitOfWork& uow) {
//         uow.tickets().Insert(ticket);
//         uow.outbox().Add(CreatedEvent(ticket), {traceparent, now});
//         return ticket;
//     });
//     auto page = transactions_.Read([&](TicketsUnitOfWork& uow) {
//         return uow.tickets().ListUnreserved(page_request);
//     });
//     return transactions_.HandleOnce(meta, [&](TicketsUnitOfWork& uow) {
//         ...;
//         return bus::AckDecision::kAck;
//     });
//
// Implementations: storage::SqlTransactionRunner (common/storage/sql_unit_of_work.hpp: one
// database transaction, the `outbox` and `inbox` tables, the relay woken after a commit that
// added events) and test::InMemoryTransactionRunner (common/testing/in_memory_unit_of_work.hpp:
// a copy of the state per transaction, the committed events kept in order for the tests).
//
// Thread-safety: a TransactionRunner is safe from any thread; a UnitOfWork belongs to the one
// call it is handed to and must not be kept after it returns.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"

namespace ticketing::storage {

// Where a unit of work puts the events its change causes. They are published (by the outbox
// relay) only once the unit of work has committed, in the order they were added.
class Outbox {
public:
    virtual ~Outbox() = default;

    // `ctx` is where the event comes from: the request's or the handled event's traceparent, and
    // the time it happened (the Clock's now).
    template <events::EventType E>
    void Add(const E& event, const bus::EventContext& ctx) {
        AddEnvelope(bus::MakeEnvelope(event, bus::NewEventId(), ctx));
    }
    virtual void AddEnvelope(const bus::Envelope& envelope) = 0;
};

// The record of the events a consumer has handled (TransactionRunner::HandleOnce uses it).
class Inbox {
public:
    virtual ~Inbox() = default;
    // Records (consumer, event_id) as handled by this unit of work; false when it was recorded
    // already (a redelivery), and then nothing is written.
    virtual bool Record(const std::string& consumer, const std::string& event_id) = 0;
};

// What every unit of work offers whatever the service; a service's own interface adds its
// repositories (see the top of this file).
class UnitOfWork {
public:
    virtual ~UnitOfWork() = default;
    virtual Outbox& outbox() = 0;
    virtual Inbox& inbox() = 0;
};

// The outbox-and-inbox half of a service's unit of work, for implementations: a service's SQL or
// in-memory unit of work derives from BasicUnitOfWork<ItsUnitOfWork> and adds its repositories.
template <class U>
class BasicUnitOfWork : public U {
public:
    BasicUnitOfWork(Outbox& outbox, Inbox& inbox) : outbox_(outbox), inbox_(inbox) {}
    Outbox& outbox() final { return outbox_; }
    Inbox& inbox() final { return inbox_; }

private:
    Outbox& outbox_;
    Inbox& inbox_;
};

// Runs work on units of work of type U (a service's UnitOfWork).
template <class U>
class TransactionRunner {
public:
    virtual ~TransactionRunner() = default;

    // Runs work(uow) in one transaction and returns what it returns. Commits when work returns;
    // when work (or the commit) throws, nothing it did is kept, no event is published, and the
    // exception propagates.
    template <class F>
    std::invoke_result_t<F&, U&> Run(F&& work) {
        return Invoke(Mode::kTransaction, work);
    }

    // Run without holding the caller until the commit: work(uow) runs in one transaction, as in
    // Run, and done(nullptr) is called once it committed, or done(error) with what work or the
    // commit threw (nothing of it kept, no event published). `done` may be called before RunAsync
    // returns or later on another thread (SqlTransactionRunner on SQLite: the database's writer
    // thread, db::Database::TransactionAsync, which also says what done must not do); work must
    // own, or outlive the call with, everything it uses.
    void RunAsync(std::function<void(U&)> work, std::function<void(std::exception_ptr)> done) {
        ExecuteAsync(std::move(work), std::move(done));
    }

    // Runs work(uow) for reads, outside any transaction (each read sees what is committed at the
    // time). Adding an event or recording the inbox there is a bug: std::logic_error.
    template <class F>
    std::invoke_result_t<F&, U&> Read(F&& work) {
        return Invoke(Mode::kRead, work);
    }

    // The inbox: runs handle(uow) in one transaction together with the record of
    // (meta.consumer, meta.event_id), so a redelivered event changes nothing:
    //   - recorded already: returns kAck without calling handle;
    //   - handle returns kAck: its changes, its events and the record commit together;
    //   - handle returns kRetry or kDeadLetter: nothing it did is kept, the event stays
    //     unrecorded, and the decision is returned.
    // Exceptions from handle roll back and propagate (the subscriber retries the event).
    bus::AckDecision HandleOnce(const bus::MessageMeta& meta,
                                const std::function<bus::AckDecision(U&)>& handle) {
        struct Declined {
            bus::AckDecision decision;
        };
        try {
            return Run([&](U& uow) {
                if (!uow.inbox().Record(meta.consumer, meta.event_id)) {
                    return bus::AckDecision::kAck;  // handled before: a redelivery
                }
                const bus::AckDecision decision = handle(uow);
                if (decision != bus::AckDecision::kAck) {
                    throw Declined{decision};  // rolls the transaction back
                }
                return decision;
            });
        } catch (const Declined& declined) {
            return declined.decision;
        }
    }

    // HandleOnce for a batch of events (EventSubscriber::SubscribeBatch), in one transaction:
    // each event in order, as HandleOnce would (a later event sees what an earlier one did).
    // All or nothing: when handle declines one of them, nothing of the batch is kept and
    // bus::SplitBatch is thrown, so the subscriber hands the events over one at a time (and the
    // declined one gets its own decision). A batch of one is HandleOnce. Exceptions from handle
    // roll back and propagate, as in HandleOnce.
    template <class E>
    std::vector<bus::AckDecision> HandleEachOnce(
        std::span<const E> events,
        std::span<const bus::MessageMeta> metas,
        const std::function<bus::AckDecision(U&, const E&)>& handle) {
        return HandleEachOnce<E>(
            events, metas, [&](U& uow, const E& e, const bus::MessageMeta&) {
                return handle(uow, e);
            });
    }
    // The same for a handler that needs each event's metadata (its traceparent, for the events
    // it causes).
    template <class E>
    std::vector<bus::AckDecision> HandleEachOnce(
        std::span<const E> events,
        std::span<const bus::MessageMeta> metas,
        const std::function<bus::AckDecision(U&, const E&, const bus::MessageMeta&)>& handle) {
        if (events.size() == 1) {
            return {HandleOnce(metas[0], [&](U& uow) { return handle(uow, events[0], metas[0]); })};
        }
        Run([&](U& uow) {
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (uow.inbox().Record(metas[i].consumer, metas[i].event_id) &&
                    handle(uow, events[i], metas[i]) != bus::AckDecision::kAck) {
                    throw bus::SplitBatch{};  // rolls the transaction back
                }
            }
        });
        return std::vector<bus::AckDecision>(events.size(), bus::AckDecision::kAck);
    }

protected:
    enum class Mode { kTransaction, kRead };

    // Runs work on a unit of work in `mode`, with Run's and Read's guarantees.
    virtual void Execute(Mode mode, const std::function<void(U&)>& work) = 0;

    // RunAsync's guarantees. By default: Execute now, then done on the caller's thread.
    virtual void ExecuteAsync(std::function<void(U&)> work,
                              std::function<void(std::exception_ptr)> done) {
        std::exception_ptr error;
        try {
            Execute(Mode::kTransaction, work);
        } catch (...) {
            error = std::current_exception();
        }
        done(std::move(error));
    }

private:
    template <class F>
    std::invoke_result_t<F&, U&> Invoke(Mode mode, F& work) {
        using Result = std::invoke_result_t<F&, U&>;
        if constexpr (std::is_void_v<Result>) {
            Execute(mode, [&](U& uow) { std::invoke(work, uow); });
        } else {
            std::optional<Result> result;
            Execute(mode, [&](U& uow) { result.emplace(std::invoke(work, uow)); });
            return std::move(*result);
        }
    }
};

}  // namespace ticketing::storage

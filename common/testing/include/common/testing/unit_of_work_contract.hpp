// What every implementation of the unit-of-work port (common/storage/unit_of_work.hpp) promises,
// as one typed test suite, so that the in-memory runner the unit tests rely on is held to the
// same behaviour as the SQL one: commit together or not at all, events kept in the order they
// were added, an event handled once per consumer, a declined event leaving no trace, reads that
// refuse writes. It runs on a unit of work with one table of notes:
//
//     struct MyNotes {           // one per implementation
//         NotesTransactions& runner();
//         std::vector<bus::Envelope> Committed();  // the committed events, in outbox order
//     };
//     INSTANTIATE_TYPED_TEST_SUITE_P(Sql, UnitOfWorkContract, ::testing::Types<MyNotes>);
//
// Thread-safety: one test thread.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/bus/bus.hpp"
#include "common/events/events.hpp"
#include "common/storage/unit_of_work.hpp"

namespace ticketing::test {

class NoteRepository {
public:
    virtual ~NoteRepository() = default;
    virtual void Add(const std::string& text) = 0;
    // Every note, in text order.
    virtual std::vector<std::string> All() = 0;
};

class NotesUnitOfWork : public storage::UnitOfWork {
public:
    virtual NoteRepository& notes() = 0;
};

using NotesTransactions = storage::TransactionRunner<NotesUnitOfWork>;

template <class Env>
class UnitOfWorkContract : public ::testing::Test {
protected:
    NotesTransactions& runner() { return env_.runner(); }

    std::vector<std::string> Notes() {
        return runner().Read([](NotesUnitOfWork& uow) { return uow.notes().All(); });
    }

    // The order ids of the committed events, in the order they will be published.
    std::vector<std::string> Events() {
        std::vector<std::string> ids;
        for (const auto& envelope : env_.Committed()) {
            ids.push_back(events::Decode<events::OrderCancelled>(envelope.payload).id);
        }
        return ids;
    }

    // Adds a note and an event named after it.
    static void Write(NotesUnitOfWork& uow, const std::string& name) {
        uow.notes().Add(name);
        uow.outbox().Add(events::OrderCancelled{name, 1, {"t"}}, {"tp", {}});
    }

    static bus::MessageMeta Delivery(const std::string& consumer, const std::string& event_id) {
        bus::MessageMeta meta;
        meta.consumer = consumer;
        meta.event_id = event_id;
        return meta;
    }

    Env env_;
};

TYPED_TEST_SUITE_P(UnitOfWorkContract);

TYPED_TEST_P(UnitOfWorkContract, RunCommitsTheChangeWithItsEventsAndReturnsTheResult) {
    int result = this->runner().Run([](NotesUnitOfWork& uow) {
        TestFixture::Write(uow, "a");
        return 7;
    });
    EXPECT_EQ(result, 7);
    EXPECT_EQ(this->Notes(), std::vector<std::string>{"a"});
    EXPECT_EQ(this->Events(), std::vector<std::string>{"a"});
    EXPECT_EQ(this->env_.Committed().at(0).traceparent, "tp");
}

TYPED_TEST_P(UnitOfWorkContract, RunThatThrowsKeepsNeitherTheChangeNorItsEvents) {
    EXPECT_THROW(this->runner().Run([](NotesUnitOfWork& uow) {
        TestFixture::Write(uow, "a");
        throw std::runtime_error("the rule failed after the writes");
    }),
                 std::runtime_error);
    EXPECT_TRUE(this->Notes().empty());
    EXPECT_TRUE(this->Events().empty());
}

TYPED_TEST_P(UnitOfWorkContract, EventsAreKeptInTheOrderTheyWereAdded) {
    this->runner().Run([](NotesUnitOfWork& uow) {
        TestFixture::Write(uow, "b");
        TestFixture::Write(uow, "a");
    });
    this->runner().Run([](NotesUnitOfWork& uow) { TestFixture::Write(uow, "c"); });
    EXPECT_EQ(this->Events(), (std::vector<std::string>{"b", "a", "c"}));
}

TYPED_TEST_P(UnitOfWorkContract, HandleOnceRunsAnEventOncePerConsumer) {
    int runs = 0;
    auto handle = [&](NotesUnitOfWork& uow) {
        TestFixture::Write(uow, "n" + std::to_string(++runs));
        return bus::AckDecision::kAck;
    };
    const auto first = TestFixture::Delivery("tickets-service-order-created", "e1");
    EXPECT_EQ(this->runner().HandleOnce(first, handle), bus::AckDecision::kAck);
    EXPECT_EQ(this->runner().HandleOnce(first, handle), bus::AckDecision::kAck);
    EXPECT_EQ(runs, 1);
    const auto other_consumer = TestFixture::Delivery("orders-service-order-created", "e1");
    EXPECT_EQ(this->runner().HandleOnce(other_consumer, handle), bus::AckDecision::kAck);
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(this->Notes(), (std::vector<std::string>{"n1", "n2"}));
    EXPECT_EQ(this->Events(), (std::vector<std::string>{"n1", "n2"}));
}

TYPED_TEST_P(UnitOfWorkContract, AnEventTheHandlerDeclinesLeavesNoTraceAndRunsAgain) {
    const auto delivery = TestFixture::Delivery("c", "e1");
    for (auto decline : {bus::AckDecision::kRetry, bus::AckDecision::kDeadLetter}) {
        EXPECT_EQ(this->runner().HandleOnce(delivery,
                                            [&](NotesUnitOfWork& uow) {
                                                TestFixture::Write(uow, "declined");
                                                return decline;
                                            }),
                  decline);
    }
    EXPECT_TRUE(this->Notes().empty());
    EXPECT_TRUE(this->Events().empty());
    bool ran = false;
    EXPECT_EQ(this->runner().HandleOnce(delivery,
                                        [&](NotesUnitOfWork&) {
                                            ran = true;
                                            return bus::AckDecision::kAck;
                                        }),
              bus::AckDecision::kAck);
    EXPECT_TRUE(ran);  // nothing was recorded for the declined deliveries
}

TYPED_TEST_P(UnitOfWorkContract, AHandlerThatThrowsLeavesNoTraceAndTheExceptionPropagates) {
    const auto delivery = TestFixture::Delivery("c", "e1");
    EXPECT_THROW(this->runner().HandleOnce(delivery,
                                           [](NotesUnitOfWork& uow) -> bus::AckDecision {
                                               TestFixture::Write(uow, "a");
                                               throw std::runtime_error("handler failed");
                                           }),
                 std::runtime_error);
    EXPECT_TRUE(this->Notes().empty());
    EXPECT_TRUE(this->Events().empty());
    bool ran = false;
    this->runner().HandleOnce(delivery, [&](NotesUnitOfWork&) {
        ran = true;
        return bus::AckDecision::kAck;
    });
    EXPECT_TRUE(ran);
}

// A batch commits together, each event recorded once: one handled before (or twice in the
// batch) is skipped; a later event sees what an earlier one wrote.
TYPED_TEST_P(UnitOfWorkContract, HandleEachOnceRunsABatchInOneUnitOfWorkOncePerEvent) {
    const auto before = TestFixture::Delivery("c", "e0");
    this->runner().HandleOnce(before, [](NotesUnitOfWork& uow) {
        TestFixture::Write(uow, "e0");
        return bus::AckDecision::kAck;
    });
    const std::vector<std::string> names{"e0", "e1", "e2", "e1", "e3"};
    std::vector<bus::MessageMeta> metas;
    for (const auto& name : names) {
        metas.push_back(TestFixture::Delivery("c", name));
    }
    std::vector<std::size_t> seen_before;
    auto decisions = this->runner().template HandleEachOnce<std::string>(
        names, metas, [&](NotesUnitOfWork& uow, const std::string& name) {
            seen_before.push_back(uow.notes().All().size());
            TestFixture::Write(uow, name);
            return bus::AckDecision::kAck;
        });
    EXPECT_EQ(decisions, std::vector<bus::AckDecision>(names.size(), bus::AckDecision::kAck));
    EXPECT_EQ(seen_before, (std::vector<std::size_t>{1, 2, 3}));
    EXPECT_EQ(this->Notes(), (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
    EXPECT_EQ(this->Events(), (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
}

// One declined event keeps nothing of the batch and splits it; a batch of one is HandleOnce,
// with the handler's own decision.
TYPED_TEST_P(UnitOfWorkContract, HandleEachOnceKeepsNothingOfABatchWithADeclinedEvent) {
    const std::vector<std::string> names{"a", "later", "b"};
    std::vector<bus::MessageMeta> metas;
    for (const auto& name : names) {
        metas.push_back(TestFixture::Delivery("c", name));
    }
    auto handle = [](NotesUnitOfWork& uow, const std::string& name) {
        TestFixture::Write(uow, name);
        return name == "later" ? bus::AckDecision::kRetry : bus::AckDecision::kAck;
    };
    EXPECT_THROW(
        this->runner().template HandleEachOnce<std::string>(names, metas, handle), bus::SplitBatch);
    EXPECT_TRUE(this->Notes().empty());
    EXPECT_TRUE(this->Events().empty());
    auto one = this->runner().template HandleEachOnce<std::string>(
        std::span(names).subspan(1, 1), std::span(metas).subspan(1, 1), handle);
    EXPECT_EQ(one, std::vector<bus::AckDecision>{bus::AckDecision::kRetry});
    auto rest = this->runner().template HandleEachOnce<std::string>(
        std::span(names).first(1), std::span(metas).first(1), handle);
    EXPECT_EQ(rest, std::vector<bus::AckDecision>{bus::AckDecision::kAck});
    EXPECT_EQ(this->Notes(), std::vector<std::string>{"a"});
}

TYPED_TEST_P(UnitOfWorkContract, ReadRefusesEventsAndInboxRecords) {
    EXPECT_THROW(this->runner().Read([](NotesUnitOfWork& uow) {
        uow.outbox().Add(events::OrderCancelled{"a", 1, {"t"}}, {"", {}});
    }),
                 std::logic_error);
    EXPECT_THROW(this->runner().Read([](NotesUnitOfWork& uow) { uow.inbox().Record("c", "e"); }),
                 std::logic_error);
    EXPECT_TRUE(this->Events().empty());
}

REGISTER_TYPED_TEST_SUITE_P(UnitOfWorkContract,
                            RunCommitsTheChangeWithItsEventsAndReturnsTheResult,
                            RunThatThrowsKeepsNeitherTheChangeNorItsEvents,
                            EventsAreKeptInTheOrderTheyWereAdded,
                            HandleOnceRunsAnEventOncePerConsumer,
                            AnEventTheHandlerDeclinesLeavesNoTraceAndRunsAgain,
                            AHandlerThatThrowsLeavesNoTraceAndTheExceptionPropagates,
                            HandleEachOnceRunsABatchInOneUnitOfWorkOncePerEvent,
                            HandleEachOnceKeepsNothingOfABatchWithADeclinedEvent,
                            ReadRefusesEventsAndInboxRecords);

}  // namespace ticketing::test

// test::InMemoryTransactionRunner keeps the unit-of-work port's contract (the same suite runs on
// the SQL runner in tests/integration/common/storage), and its commit failure switch.
#include "common/testing/in_memory_unit_of_work.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "common/db/errors.hpp"
#include "common/testing/unit_of_work_contract.hpp"

namespace ticketing::test {
namespace {

class InMemoryNoteRepository final : public NoteRepository,
                                     public TransactionalState<std::vector<std::string>> {
public:
    void Add(const std::string& text) override { data().push_back(text); }
    std::vector<std::string> All() override {
        auto all = data();
        std::sort(all.begin(), all.end());
        return all;
    }
};

class InMemoryNotesTransactions final : public InMemoryTransactionRunner<NotesUnitOfWork> {
public:
    explicit InMemoryNotesTransactions(InMemoryNoteRepository& notes)
        : InMemoryTransactionRunner({&notes}), notes_(notes) {}

protected:
    void RunOn(storage::Outbox& outbox,
               storage::Inbox& inbox,
               const std::function<void(NotesUnitOfWork&)>& work) override {
        class UnitOfWork final : public storage::BasicUnitOfWork<NotesUnitOfWork> {
        public:
            UnitOfWork(NoteRepository& notes, storage::Outbox& o, storage::Inbox& i)
                : BasicUnitOfWork(o, i), notes_(notes) {}
            NoteRepository& notes() override { return notes_; }

        private:
            NoteRepository& notes_;
        } uow(notes_, outbox, inbox);
        work(uow);
    }

private:
    InMemoryNoteRepository& notes_;
};

struct InMemoryNotes {
    NotesTransactions& runner() { return transactions; }
    std::vector<bus::Envelope> Committed() { return transactions.Envelopes(); }

    InMemoryNoteRepository notes;
    InMemoryNotesTransactions transactions{notes};
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, UnitOfWorkContract, ::testing::Types<InMemoryNotes>);

TEST(InMemoryTransactionRunner, AFailedCommitKeepsNothingAndIsAnUnavailableDatabase) {
    InMemoryNotes env;
    env.transactions.FailNextCommit();
    EXPECT_THROW(env.transactions.Run([](NotesUnitOfWork& uow) {
        uow.notes().Add("a");
        uow.outbox().Add(events::OrderCancelled{"a", 1, {"t"}}, {"", {}});
    }),
                 db::UnavailableError);
    EXPECT_TRUE(env.notes.All().empty());
    EXPECT_TRUE(env.transactions.Envelopes().empty());
    EXPECT_EQ(env.transactions.commits(), 0u);
    env.transactions.Run([](NotesUnitOfWork& uow) { uow.notes().Add("b"); });  // the next commits
    EXPECT_EQ(env.notes.All(), std::vector<std::string>{"b"});
    EXPECT_EQ(env.transactions.commits(), 1u);
}

}  // namespace
}  // namespace ticketing::test

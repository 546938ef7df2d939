#include "client/outbox.hpp"

#include <gtest/gtest.h>

namespace smartlog::client {
namespace {

Outbox::Limits limits(std::size_t max, std::size_t batch, std::size_t bytes = 1 << 20) {
    return {max, batch, bytes};
}

TEST(Outbox, SendsOnlyFullBatchesUntilAFlushIsDue) {
    Outbox box(limits(100, 3));
    box.push("a");
    box.push("b");
    EXPECT_FALSE(box.batch_ready());
    EXPECT_FALSE(box.next_batch(false));
    box.push("c");
    auto batch = box.next_batch(false);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->entries, (std::vector<std::string>{"a", "b", "c"}));
    box.push("d");
    auto partial = box.next_batch(true);
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->entries, (std::vector<std::string>{"d"}));
    EXPECT_NE(batch->ref, partial->ref);
}

TEST(Outbox, CutsBatchesByBytesButAlwaysTakesOneEntry) {
    Outbox box(limits(100, 100, 10));
    box.push(std::string(6, 'x'));
    box.push(std::string(6, 'y'));
    box.push(std::string(30, 'z'));
    EXPECT_TRUE(box.batch_ready());
    EXPECT_EQ(box.next_batch(false)->entries.size(), 1u);
    EXPECT_EQ(box.next_batch(true)->entries.size(), 1u);
    EXPECT_EQ(box.next_batch(true)->entries.size(), 1u)
        << "an entry over the byte bound still leaves";
}

TEST(Outbox, AnAckedBatchIsForgottenAndNeverResent) {
    Outbox box(limits(100, 2));
    box.push("a");
    box.push("b");
    auto batch = box.next_batch(false);
    EXPECT_EQ(box.size(), 2u);
    EXPECT_EQ(box.ack(batch->ref), 2u);
    EXPECT_TRUE(box.empty());
    box.connection_lost();
    EXPECT_FALSE(box.next_batch(true));
    EXPECT_FALSE(box.ack(batch->ref)) << "a second ack of the same ref changes nothing";
}

TEST(Outbox, UnackedBatchesAreResentUnchangedAndFirstAfterAConnectionDrops) {
    Outbox box(limits(100, 2));
    for (auto s : {"a", "b", "c", "d"}) box.push(s);
    auto first = box.next_batch(false);
    auto second = box.next_batch(false);
    box.push("e");
    box.connection_lost();
    EXPECT_EQ(box.size(), 5u);
    auto again1 = box.next_batch(false);
    ASSERT_TRUE(again1);
    EXPECT_TRUE(again1->resend);
    EXPECT_EQ(again1->ref, first->ref);
    EXPECT_EQ(again1->entries, first->entries);
    // Dropped again before the second resend: order still holds.
    box.connection_lost();
    EXPECT_EQ(box.next_batch(false)->ref, first->ref);
    EXPECT_EQ(box.next_batch(false)->ref, second->ref);
    auto rest = box.next_batch(true);
    EXPECT_EQ(rest->entries, (std::vector<std::string>{"e"}));
    EXPECT_FALSE(rest->resend);
}

TEST(Outbox, RefusesEntriesOverTheBoundAndCountsThem) {
    Outbox box(limits(3, 2));
    EXPECT_TRUE(box.push("a"));
    EXPECT_TRUE(box.push("b"));
    auto batch = box.next_batch(false);  // in flight still counts against the bound
    EXPECT_TRUE(box.push("c"));
    EXPECT_FALSE(box.push("d"));
    EXPECT_FALSE(box.push("e"));
    EXPECT_EQ(box.dropped(), 2u);
    box.ack(batch->ref);
    EXPECT_TRUE(box.push("f"));
    EXPECT_EQ(box.size(), 2u);
}

}  // namespace
}  // namespace smartlog::client

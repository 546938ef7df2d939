#include "core/batcher.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

using namespace std::chrono_literals;

EntryPtr entry(std::string message) { return make_entry({.message = message}); }

TEST(Batcher, SaysFullAtMaxEntries) {
    Batcher b(3, 20ms);
    const auto t = std::chrono::steady_clock::time_point{} + 1s;
    EXPECT_FALSE(b.add(entry("a"), t));
    EXPECT_FALSE(b.add(entry("b"), t));
    EXPECT_TRUE(b.add(entry("c"), t));
    auto batch = b.take();
    ASSERT_EQ(batch.size(), 3u);
    EXPECT_EQ(batch[0]->message(), "a");
    EXPECT_EQ(batch[2]->message(), "c");
    EXPECT_TRUE(b.empty());
}

TEST(Batcher, DeadlineCountsFromTheFirstEntry) {
    Batcher b(100, 20ms);
    const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
    b.add(entry("a"), t0);
    b.add(entry("b"), t0 + 15ms);
    EXPECT_EQ(b.deadline(), t0 + 20ms);
    EXPECT_FALSE(b.due(t0 + 19ms));
    EXPECT_TRUE(b.due(t0 + 20ms));
}

TEST(Batcher, ANewBatchGetsANewDeadline) {
    Batcher b(100, 20ms);
    const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
    b.add(entry("a"), t0);
    b.take();
    EXPECT_FALSE(b.due(t0 + 1h));  // empty: nothing is ever due
    b.add(entry("b"), t0 + 50ms);
    EXPECT_EQ(b.deadline(), t0 + 70ms);
}

TEST(Batcher, ARecycledVectorCarriesTheNextBatchAndReleasesItsEntries) {
    Batcher b(4, 20ms);
    const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
    auto first = entry("a");
    b.add(first, t0);
    auto batch = b.take();
    const auto* storage = batch.data();
    b.recycle(std::move(batch));
    EXPECT_EQ(first.use_count(), 1);  // the batcher no longer holds the sent entry
    EXPECT_TRUE(b.empty());
    b.add(entry("b"), t0 + 50ms);
    EXPECT_EQ(b.deadline(), t0 + 70ms);
    auto next = b.take();
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0]->message(), "b");
    EXPECT_EQ(next.data(), storage);  // the same allocation, not a new one
}

TEST(Batcher, AnEntryThatWouldPassTheByteBoundDoesNotFit) {
    const auto t = std::chrono::steady_clock::time_point{} + 1s;
    const auto small = entry("a");
    const std::size_t one = small->encoded().size() + 1;  // an entry and its separator
    Batcher b(100, 20ms, 2 * one);
    EXPECT_TRUE(b.fits(*small)) << "an empty batch takes anything";
    EXPECT_FALSE(b.add(small, t));
    EXPECT_TRUE(b.fits(*entry("b")));
    EXPECT_FALSE(b.add(entry("b"), t)) << "the byte bound is not the entry count";
    EXPECT_FALSE(b.fits(*entry("c")));
    EXPECT_EQ(b.take().size(), 2u);
    EXPECT_TRUE(b.fits(*entry("c"))) << "a new batch counts from zero";
}

TEST(Batcher, AnEntryLargerThanTheBoundIsABatchOfItsOwn) {
    const auto t = std::chrono::steady_clock::time_point{} + 1s;
    Batcher b(100, 20ms, 64);
    const auto large = entry(std::string(200, 'x'));
    EXPECT_FALSE(b.add(entry("a"), t));
    EXPECT_FALSE(b.fits(*large)) << "the batch before it leaves first";
    b.take();
    EXPECT_TRUE(b.fits(*large));
    b.add(large, t);
    EXPECT_FALSE(b.fits(*entry("b"))) << "nothing joins a batch already past its bound";
}

}  // namespace
}  // namespace smartlog::core

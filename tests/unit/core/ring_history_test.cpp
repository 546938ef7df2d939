#include "core/ring_history.hpp"

#include <gtest/gtest.h>

#include "core/id_generator.hpp"

namespace smartlog::core {
namespace {

// Builds entries with increasing ids, as the hub does.
class RingHistoryTest : public ::testing::Test {
protected:
    EntryPtr make(std::string message, std::string level = "info", std::int64_t ts = 1000) {
        auto e = std::make_shared<Entry>();
        e->id = ids_.next(now_++);
        e->message = std::move(message);
        e->level = std::move(level);
        e->timestamp = ts;
        return e;
    }
    std::vector<std::string> messages(const std::vector<EntryPtr>& entries) {
        std::vector<std::string> out;
        for (const auto& e : entries) out.push_back(e->message);
        return out;
    }

    IdGenerator ids_;
    std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(RingHistoryTest, KeepsEntriesInArrivalOrder) {
    RingHistory h(4);
    h.push(make("a"));
    h.push(make("b"));
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt).entries), (std::vector<std::string>{"a", "b"}));
}

TEST_F(RingHistoryTest, EvictsOldestWhenFull) {
    RingHistory h(3);
    for (auto m : {"a", "b", "c", "d", "e"}) h.push(make(m));
    EXPECT_EQ(h.size(), 3u);
    EXPECT_EQ(h.evicted(), 2u);
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt).entries), (std::vector<std::string>{"c", "d", "e"}));
}

TEST_F(RingHistoryTest, LimitKeepsTheNewest) {
    RingHistory h(10);
    for (auto m : {"a", "b", "c", "d"}) h.push(make(m));
    EXPECT_EQ(messages(h.query({}, 2, std::nullopt).entries), (std::vector<std::string>{"c", "d"}));
    EXPECT_TRUE(h.query({}, 0, std::nullopt).entries.empty());
}

TEST_F(RingHistoryTest, AppliesTheFilter) {
    RingHistory h(10);
    h.push(make("one", "info"));
    h.push(make("two", "error"));
    h.push(make("three", "error"));
    Filter f;
    f.levels = {"error"};
    EXPECT_EQ(messages(h.query(f, 10, std::nullopt).entries), (std::vector<std::string>{"two", "three"}));
    EXPECT_EQ(messages(h.query(f, 1, std::nullopt).entries), (std::vector<std::string>{"three"}));
}

TEST_F(RingHistoryTest, AfterIdReturnsOnlyLaterEntries) {
    RingHistory h(10);
    h.push(make("a"));
    auto b = make("b");
    h.push(b);
    h.push(make("c"));
    h.push(make("d"));
    auto slice = h.query({}, 10, b->id);
    EXPECT_FALSE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"c", "d"}));
}

TEST_F(RingHistoryTest, AfterTheNewestIdReturnsNothingAndNoGap) {
    RingHistory h(10);
    h.push(make("a"));
    auto last = make("b");
    h.push(last);
    auto slice = h.query({}, 10, last->id);
    EXPECT_FALSE(slice.gap);
    EXPECT_TRUE(slice.entries.empty());
}

TEST_F(RingHistoryTest, EvictedAfterIdSaysGapAndStartsAtOldest) {
    RingHistory h(2);
    auto a = make("a");
    h.push(a);
    h.push(make("b"));
    h.push(make("c"));
    auto slice = h.query({}, 10, a->id);
    EXPECT_TRUE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"b", "c"}));
}

TEST_F(RingHistoryTest, UnknownAfterIdSaysGap) {
    RingHistory h(4);
    h.push(make("a"));
    auto slice = h.query({}, 10, std::string_view("not-an-id"));
    EXPECT_TRUE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"a"}));
}

TEST_F(RingHistoryTest, LimitCuttingAResumeSaysGap) {
    RingHistory h(10);
    auto a = make("a");
    h.push(a);
    for (auto m : {"b", "c", "d"}) h.push(make(m));
    auto slice = h.query({}, 2, a->id);
    EXPECT_TRUE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"c", "d"}));
}

TEST_F(RingHistoryTest, LeavesOutEntriesStillInFlight) {
    RingHistory h(10);
    for (auto m : {"a", "b", "c"}) h.push(make(m));
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt, 1).entries), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(h.query({}, 10, std::nullopt, 5).entries.empty());
}

TEST_F(RingHistoryTest, ClearForgetsEverythingAndCounts) {
    RingHistory h(3);
    for (auto m : {"a", "b", "c", "d"}) h.push(make(m));
    EXPECT_EQ(h.clear(), 3u);
    EXPECT_EQ(h.size(), 0u);
    h.push(make("e"));
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt).entries), (std::vector<std::string>{"e"}));
}

}  // namespace
}  // namespace smartlog::core

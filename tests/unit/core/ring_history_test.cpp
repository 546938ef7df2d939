#include "core/ring_history.hpp"

#include <gtest/gtest.h>

#include "core/id_generator.hpp"

namespace smartlog::core {
namespace {

// Builds entries with increasing ids, as the hub does.
class RingHistoryTest : public ::testing::Test {
protected:
    EntryPtr make(std::string message, std::string level = "info", std::int64_t ts = 1000) {
        const std::string id = ids_.next(now_++);
        return make_entry({.id = id, .timestamp = ts, .level = level, .message = message});
    }
    std::vector<std::string> messages(const std::vector<EntryPtr>& entries) {
        std::vector<std::string> out;
        for (const auto& e : entries) out.push_back(e->message());
        return out;
    }

    IdGenerator ids_;
    std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(RingHistoryTest, KeepsEntriesInArrivalOrder) {
    RingHistory h(4);
    h.push(make("a"));
    h.push(make("b"));
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt).entries),
              (std::vector<std::string>{"a", "b"}));
}

TEST_F(RingHistoryTest, EvictsOldestWhenFull) {
    RingHistory h(3);
    for (auto m : {"a", "b", "c", "d", "e"}) h.push(make(m));
    EXPECT_EQ(h.size(), 3u);
    EXPECT_EQ(h.evicted(), 2u);
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt).entries),
              (std::vector<std::string>{"c", "d", "e"}));
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
    EXPECT_EQ(messages(h.query(f, 10, std::nullopt).entries),
              (std::vector<std::string>{"two", "three"}));
    EXPECT_EQ(messages(h.query(f, 1, std::nullopt).entries), (std::vector<std::string>{"three"}));
}

TEST_F(RingHistoryTest, AfterIdReturnsOnlyLaterEntries) {
    RingHistory h(10);
    h.push(make("a"));
    auto b = make("b");
    h.push(b);
    h.push(make("c"));
    h.push(make("d"));
    auto slice = h.query({}, 10, b->id());
    EXPECT_FALSE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"c", "d"}));
}

TEST_F(RingHistoryTest, AfterTheNewestIdReturnsNothingAndNoGap) {
    RingHistory h(10);
    h.push(make("a"));
    auto last = make("b");
    h.push(last);
    auto slice = h.query({}, 10, last->id());
    EXPECT_FALSE(slice.gap);
    EXPECT_TRUE(slice.entries.empty());
}

TEST_F(RingHistoryTest, EvictedAfterIdSaysGapAndStartsAtOldest) {
    RingHistory h(2);
    auto a = make("a");
    h.push(a);
    h.push(make("b"));
    h.push(make("c"));
    auto slice = h.query({}, 10, a->id());
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
    auto slice = h.query({}, 2, a->id());
    EXPECT_TRUE(slice.gap);
    EXPECT_EQ(messages(slice.entries), (std::vector<std::string>{"c", "d"}));
}

TEST_F(RingHistoryTest, LeavesOutEntriesStillInFlight) {
    RingHistory h(10);
    for (auto m : {"a", "b", "c"}) h.push(make(m));
    EXPECT_EQ(messages(h.query({}, 10, std::nullopt, 1).entries),
              (std::vector<std::string>{"a", "b"}));
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

TEST(EntryBytes, CountsTheOneAllocationOnce) {
    const EntryPtr empty = make_entry({.id = "0123456789", .level = "info"});
    EXPECT_EQ(entry_bytes(*empty), empty->bytes());
    EXPECT_GT(entry_bytes(*empty), sizeof(Entry) + empty->encoded().size());
    // The message and the metadata are held once, inside the encoded text.
    const EntryPtr full = make_entry({.id = "0123456789",
                                      .level = "info",
                                      .message = std::string(100, 'm'),
                                      .metadata = R"({"k":1})"});
    EXPECT_EQ(entry_bytes(*full),
              entry_bytes(*empty) + 100 + std::string_view(R"(,"metadata":{"k":1})").size());
}

TEST_F(RingHistoryTest, EvictsOldestBeyondTheByteBudget) {
    const std::size_t one = entry_bytes(*make(std::string(100, 'a')));
    RingHistory h(100, 3 * one);
    std::vector<EntryPtr> pushed;
    for (char c : std::string("abcde")) {
        pushed.push_back(make(std::string(100, c)));
        h.push(pushed.back());
    }
    EXPECT_EQ(h.size(), 3u);
    EXPECT_EQ(h.evicted(), 2u);
    EXPECT_EQ(h.bytes(), 3 * one);
    const auto kept = h.query({}, 10, std::nullopt).entries;
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept.front()->id(), pushed[2]->id());
    EXPECT_EQ(kept.back()->id(), pushed[4]->id());
}

TEST_F(RingHistoryTest, ABigEntryEvictsAsManySmallOnesAsItNeeds) {
    const std::size_t small = entry_bytes(*make("s"));
    RingHistory h(100, 10 * small);
    for (int i = 0; i < 10; ++i) h.push(make("s"));
    EXPECT_EQ(h.size(), 10u);
    // It costs just under five small ones: five go to make room.
    auto big = make(std::string(4 * small, 'B'));
    h.push(big);
    EXPECT_LE(h.bytes(), h.max_bytes());
    EXPECT_EQ(h.size(), 10u - 5u + 1u);
    EXPECT_EQ(h.evicted(), 5u);
    EXPECT_EQ(h.at(h.size() - 1)->id(), big->id());
}

TEST_F(RingHistoryTest, KeepsTheNewestEntryEvenWhenItAloneIsOverBudget) {
    RingHistory h(10, 64);
    h.push(make("a"));
    auto huge = make(std::string(1000, 'h'));
    h.push(huge);
    EXPECT_EQ(h.size(), 1u);
    EXPECT_EQ(h.at(0)->id(), huge->id());
    EXPECT_EQ(h.evicted(), 1u);
}

TEST_F(RingHistoryTest, WhicheverBoundIsHitFirstEvicts) {
    const std::size_t one = entry_bytes(*make("x"));
    RingHistory by_count(2, 100 * one);
    RingHistory by_bytes(100, 2 * one);
    for (int i = 0; i < 5; ++i) {
        auto e = make("x");
        by_count.push(e);
        by_bytes.push(e);
    }
    EXPECT_EQ(by_count.size(), 2u);
    EXPECT_EQ(by_bytes.size(), 2u);
    EXPECT_EQ(by_count.evicted(), 3u);
    EXPECT_EQ(by_bytes.evicted(), 3u);
}

TEST_F(RingHistoryTest, AfterIdEvictedByBytesSaysGapAndStartsAtOldest) {
    const std::size_t one = entry_bytes(*make("a"));
    RingHistory h(100, 2 * one);
    auto a = make("a");
    h.push(a);
    auto b = make("b");
    h.push(b);
    h.push(make("c"));
    h.push(make("d"));
    auto evicted = h.query({}, 10, a->id());
    EXPECT_TRUE(evicted.gap);
    EXPECT_EQ(messages(evicted.entries), (std::vector<std::string>{"c", "d"}));
    auto kept = h.query({}, 10, h.at(0)->id());
    EXPECT_FALSE(kept.gap);
    EXPECT_EQ(messages(kept.entries), (std::vector<std::string>{"d"}));
}

TEST_F(RingHistoryTest, ClearResetsTheBytes) {
    RingHistory h(10, 1 << 20);
    for (auto m : {"a", "b"}) h.push(make(m));
    EXPECT_GT(h.bytes(), 0u);
    h.clear();
    EXPECT_EQ(h.bytes(), 0u);
    h.push(make("c"));
    EXPECT_EQ(h.bytes(), entry_bytes(*h.at(0)));
}

TEST_F(RingHistoryTest, BytesFollowCountEvictionToo) {
    RingHistory h(2, 1 << 20);
    std::size_t expected = 0;
    std::vector<EntryPtr> all;
    for (auto m : {"a", "bb", "ccc", "dddd"}) {
        all.push_back(make(m));
        h.push(all.back());
    }
    expected = entry_bytes(*all[2]) + entry_bytes(*all[3]);
    EXPECT_EQ(h.bytes(), expected);
}

TEST_F(RingHistoryTest, PushAllIsPushOfEachInOrder) {
    // Evictions by count and by bytes alike, over more entries than the prefetch distance.
    const EntryPtr older = make("older");
    std::vector<EntryPtr> entries;
    for (int i = 0; i < 40; ++i)
        entries.push_back(make(std::string(static_cast<std::size_t>(i * 7 % 50), 'x')));
    const std::size_t max_bytes = 12 * sizeof(Entry);
    RingHistory one_by_one(25, max_bytes);
    for (const auto& e : entries) one_by_one.push(e);
    RingHistory all(25, max_bytes);
    all.push(older);  // not empty before
    all.push_all(entries);
    ASSERT_EQ(all.size(), one_by_one.size());
    EXPECT_EQ(all.bytes(), one_by_one.bytes());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all.at(i), one_by_one.at(i)) << i;
    EXPECT_EQ(all.evicted(), one_by_one.evicted() + 1);

    RingHistory empty(5);
    empty.push_all({});
    EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace smartlog::core

namespace smartlog::core {
namespace {

class RingHistoryPagesTest : public RingHistoryTest {
protected:
    // An entry whose encoded text grows with its message, so pages can be sized.
    EntryPtr encoded(std::string message) { return make(std::move(message)); }
};

TEST_F(RingHistoryPagesTest, SequenceNumbersCountOnAcrossEvictionsAndClears) {
    RingHistory ring(3);
    for (int i = 0; i < 5; ++i) ring.push(make("m" + std::to_string(i)));
    EXPECT_EQ(ring.first_seq(), 2u);
    EXPECT_EQ(ring.end_seq(), 5u);
    ring.clear();
    EXPECT_EQ(ring.first_seq(), 5u);
    EXPECT_EQ(ring.end_seq(), 5u);
}

TEST_F(RingHistoryPagesTest, AnswerStartKeepsTheNewestMatchesWithinLimit) {
    RingHistory ring(10);
    for (int i = 0; i < 6; ++i) ring.push(make("m" + std::to_string(i), i % 2 ? "error" : "info"));
    bool gap = true;
    Filter all;
    EXPECT_EQ(ring.answer_start(all, 4, std::nullopt, ring.end_seq(), gap), 2u);
    EXPECT_FALSE(gap);
    Filter errors;
    errors.levels = {"error"};
    // errors are m1, m3, m5: the newest two start at m3.
    EXPECT_EQ(ring.answer_start(errors, 2, std::nullopt, ring.end_seq(), gap), 3u);
    EXPECT_EQ(ring.answer_start(errors, 10, std::nullopt, ring.end_seq(), gap), 1u);
}

TEST_F(RingHistoryPagesTest, AnswerStartAfterAnIdThatIsGoneSaysGap) {
    RingHistory ring(2);
    auto first = make("gone");
    ring.push(first);
    for (int i = 0; i < 3; ++i) ring.push(make("m" + std::to_string(i)));
    bool gap = false;
    EXPECT_EQ(ring.answer_start(Filter{}, 10, std::string_view(first->id()), ring.end_seq(), gap),
              ring.first_seq());
    EXPECT_TRUE(gap);
}

TEST_F(RingHistoryPagesTest, PagesCoverTheAnswerOnceInOrder) {
    RingHistory ring(100);
    for (int i = 0; i < 50; ++i)
        ring.push(encoded(std::string(100, static_cast<char>('a' + i % 26))));
    const std::uint64_t end = ring.end_seq();
    std::uint64_t next = 0;
    std::vector<EntryPtr> all;
    int pages = 0;
    while (next < end) {
        auto page = ring.page(Filter{}, next, end, 1000);
        ASSERT_FALSE(page.entries.empty());
        EXPECT_FALSE(page.gap);
        all.insert(all.end(), page.entries.begin(), page.entries.end());
        next = page.next;
        ++pages;
    }
    EXPECT_GT(pages, 1);
    ASSERT_EQ(all.size(), 50u);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], ring.at(i));
}

TEST_F(RingHistoryPagesTest, APageFromEvictedEntriesSaysGapAndStartsAtTheOldestKept) {
    RingHistory ring(3);
    for (int i = 0; i < 3; ++i) ring.push(make("m" + std::to_string(i)));
    const std::uint64_t from = ring.first_seq();
    for (int i = 3; i < 5; ++i) ring.push(make("m" + std::to_string(i)));
    auto page = ring.page(Filter{}, from, ring.end_seq(), 1 << 20);
    EXPECT_TRUE(page.gap);
    EXPECT_EQ(messages(page.entries), (std::vector<std::string>{"m2", "m3", "m4"}));
}

TEST_F(RingHistoryPagesTest, APageStopsAtTheEndItWasGiven) {
    RingHistory ring(10);
    for (int i = 0; i < 3; ++i) ring.push(make("m" + std::to_string(i)));
    const std::uint64_t end = ring.end_seq();
    ring.push(make("later"));
    auto page = ring.page(Filter{}, 0, end, 1 << 20);
    EXPECT_EQ(messages(page.entries), (std::vector<std::string>{"m0", "m1", "m2"}));
    EXPECT_EQ(page.next, end);
}

TEST_F(RingHistoryTest, AllocatesNoSlotBeforeItsFirstEntry) {
    RingHistory h(100000);
    EXPECT_EQ(h.capacity(), 100000u);
    EXPECT_EQ(h.slots(), 0u);
    EXPECT_TRUE(h.query({}, 10, std::nullopt).entries.empty());
    h.push(make("a"));
    EXPECT_LE(h.slots(), 16u);
}

TEST_F(RingHistoryTest, SlotsGrowWithTheEntriesUpToCapacity) {
    RingHistory h(100);
    for (int i = 0; i < 40; ++i) h.push(make(std::to_string(i)));
    EXPECT_GE(h.slots(), 40u);
    EXPECT_LE(h.slots(), 80u);
    for (int i = 40; i < 250; ++i) h.push(make(std::to_string(i)));
    EXPECT_EQ(h.slots(), 100u);
    EXPECT_EQ(h.size(), 100u);
    EXPECT_EQ(h.at(0)->message(), "150");
    EXPECT_EQ(h.at(99)->message(), "249");
}

TEST_F(RingHistoryTest, ClearGivesTheSlotsBack) {
    RingHistory h(1000);
    for (int i = 0; i < 500; ++i) h.push(make("x"));
    EXPECT_GT(h.slots(), 0u);
    h.clear();
    EXPECT_EQ(h.slots(), 0u);
    h.push(make("y"));
    EXPECT_EQ(h.at(0)->message(), "y");
}

// Growing after evictions by bytes (the oldest entry no longer in slot 0) keeps arrival order:
// a random mix of small and big entries checked against a plain model.
TEST_F(RingHistoryTest, GrowingAfterByteEvictionsKeepsArrivalOrder) {
    std::uint32_t seed = 7;
    auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
    RingHistory h(300, 40000);
    std::vector<EntryPtr> model;
    std::size_t model_bytes = 0;
    for (int i = 0; i < 3000; ++i) {
        auto e = make(std::string(next() % 7 == 0 ? 3000 : 10, 'm') + std::to_string(i));
        const std::size_t cost = entry_bytes(*e);
        if (model.size() == 300) {
            model_bytes -= entry_bytes(*model.front());
            model.erase(model.begin());
        }
        while (!model.empty() && model_bytes + cost > 40000) {
            model_bytes -= entry_bytes(*model.front());
            model.erase(model.begin());
        }
        model.push_back(e);
        model_bytes += cost;
        h.push(e);
        ASSERT_EQ(h.size(), model.size()) << i;
        ASSERT_EQ(h.bytes(), model_bytes) << i;
        ASSERT_EQ(h.at(0), model.front()) << i;
        ASSERT_EQ(h.at(h.size() - 1), model.back()) << i;
    }
    for (std::size_t i = 0; i < model.size(); ++i) ASSERT_EQ(h.at(i), model[i]);
}

}  // namespace
}  // namespace smartlog::core

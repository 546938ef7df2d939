// tests/unit/storage/restore_scan_test.cpp: which rows of a newest-first scan make each app's
// restored history, and when the scan must give way to the index query.
#include "storage/restore_scan.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace smartlog::storage {
namespace {

// Ids that compare in the order of their number, as UUIDv7 ids compare in arrival order.
std::string id_of(int n) {
    char text[16];
    std::snprintf(text, sizeof text, "id-%06d", n);
    return text;
}

// Offers a row the way SqliteStore's scan does; true when the scan took it.
bool offer(const RestoreScan& scan, RestoreScan::Part& part, std::int64_t key, std::int64_t seq,
           int id) {
    const std::string text = id_of(id);
    const RestoreScan::Take take = scan.offer(part, key, seq, text);
    if (!take.into) return false;
    take.into->push_back(core::make_entry({.id = text, .app_id = *take.app_id}));
    return true;
}

std::vector<std::string> ids(const std::vector<core::EntryPtr>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.emplace_back(e->id());
    return out;
}

std::vector<std::string> range(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(id_of(i));
    return out;
}

TEST(RestoreScanTest, KeepsTheNewestOfEachAppOldestFirst) {
    RestoreScan scan({{"a", 1, 0}, {"b", 2, 0}}, 3);
    auto part = scan.new_part();
    // seq = id here; a has 1..5 (odd seqs), b has 2 and 4.
    for (int seq = 10; seq >= 1; --seq) offer(scan, part, seq % 2 ? 1 : 2, seq, seq);
    std::vector<RestoreScan::Part> parts;
    parts.push_back(std::move(part));
    auto result = scan.finish(std::move(parts));
    EXPECT_TRUE(result.unordered.empty());
    ASSERT_EQ(result.loaded.size(), 2u);
    EXPECT_EQ(result.loaded[0].first, "a");
    EXPECT_EQ(ids(result.loaded[0].second),
              (std::vector<std::string>{id_of(5), id_of(7), id_of(9)}));
    EXPECT_EQ(result.loaded[1].first, "b");
    EXPECT_EQ(ids(result.loaded[1].second),
              (std::vector<std::string>{id_of(6), id_of(8), id_of(10)}));
    EXPECT_EQ(result.loaded[1].second[0]->app_id(), "b");
}

TEST(RestoreScanTest, SkipsClearedRowsUnknownAppsAndAppsWithNothing) {
    RestoreScan scan({{"a", 1, 4}, {"b", 2, 0}, {"empty", 3, 0}}, 10);
    auto part = scan.new_part();
    for (int seq = 6; seq >= 1; --seq) EXPECT_EQ(offer(scan, part, 1, seq, seq), seq > 4) << seq;
    EXPECT_FALSE(offer(scan, part, 99, 3, 3));  // no such app
    EXPECT_FALSE(offer(scan, part, -1, 2, 2));
    std::vector<RestoreScan::Part> parts;
    parts.push_back(std::move(part));
    auto result = scan.finish(std::move(parts));
    ASSERT_EQ(result.loaded.size(), 1u);
    EXPECT_EQ(ids(result.loaded[0].second), range(5, 6));
}

TEST(RestoreScanTest, JoinsPartsNewestFirstAndCutsAtPerApp) {
    RestoreScan scan({{"a", 1, 0}}, 4);
    auto newer = scan.new_part();  // seq 11..20
    auto older = scan.new_part();  // seq 1..10
    for (int seq = 20; seq >= 18; --seq) offer(scan, newer, 1, seq, seq);
    for (int seq = 10; seq >= 1; --seq) offer(scan, older, 1, seq, seq);
    std::vector<RestoreScan::Part> parts;
    parts.push_back(std::move(newer));
    parts.push_back(std::move(older));
    auto result = scan.finish(std::move(parts));
    EXPECT_TRUE(result.unordered.empty());
    ASSERT_EQ(result.loaded.size(), 1u);
    EXPECT_EQ(ids(result.loaded[0].second),
              (std::vector<std::string>{id_of(10), id_of(18), id_of(19), id_of(20)}));
}

TEST(RestoreScanTest, IdsThatDoNotFallWithSeqSendTheAppToTheIndexQuery) {
    RestoreScan scan({{"a", 1, 0}, {"b", 2, 0}, {"c", 3, 0}, {"d", 4, 0}}, 2);
    auto newer = scan.new_part();
    auto older = scan.new_part();
    // a: a taken row followed (lower seq) by a newer id.
    offer(scan, newer, 1, 20, 20);
    offer(scan, newer, 1, 19, 25);
    // b: per_app taken, then a skipped row whose id is newer than the oldest taken.
    offer(scan, newer, 2, 20, 20);
    offer(scan, newer, 2, 19, 19);
    offer(scan, newer, 2, 18, 30);
    // c: the older part holds a newer id than the newer part.
    offer(scan, newer, 3, 20, 20);
    offer(scan, older, 3, 10, 40);
    // d: an equal id is not "older" either.
    offer(scan, newer, 4, 20, 20);
    offer(scan, older, 4, 10, 20);
    std::vector<RestoreScan::Part> parts;
    parts.push_back(std::move(newer));
    parts.push_back(std::move(older));
    auto result = scan.finish(std::move(parts));
    EXPECT_TRUE(result.loaded.empty());
    EXPECT_EQ(result.unordered, (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(RestoreScanTest, SparseAppKeysAreFound) {
    RestoreScan scan({{"a", 1'000'000'000'000, 0}, {"b", 7, 0}}, 5);
    auto part = scan.new_part();
    EXPECT_TRUE(offer(scan, part, 1'000'000'000'000, 2, 2));
    EXPECT_TRUE(offer(scan, part, 7, 1, 1));
    EXPECT_FALSE(offer(scan, part, 8, 1, 1));
    std::vector<RestoreScan::Part> parts;
    parts.push_back(std::move(part));
    auto result = scan.finish(std::move(parts));
    ASSERT_EQ(result.loaded.size(), 2u);
    EXPECT_EQ(result.loaded[0].first, "a");
    EXPECT_EQ(result.loaded[1].first, "b");
}

}  // namespace
}  // namespace smartlog::storage

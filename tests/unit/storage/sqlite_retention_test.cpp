// tests/unit/storage/sqlite_retention_test.cpp: retention, called directly: inside a commit,
// step by step between transactions, and its pacing.
#include "storage/sqlite_retention.hpp"

#include <gtest/gtest.h>

#include "sqlite_parts.hpp"

namespace smartlog::storage {
namespace {

class RetentionTest : public SqlitePartsTest {
protected:
    // Entries of `app` above its floor, as committed.
    std::int64_t kept(const std::string& app) const {
        return committed(
            "SELECT count(*) FROM entries e JOIN apps a ON a.key = e.app WHERE a.name = '" + app +
            "' AND e.seq > a.floor");
    }
    void append_and_commit(SqliteWriter& writer, std::vector<core::EntryPtr> batch) {
        Outcome o;
        writer.append(batch, o.done());
        writer.commit();
        ASSERT_TRUE(o.ec);
        ASSERT_FALSE(*o.ec);
    }
};

TEST_F(RetentionTest, EveryCommitKeepsAnAppAtItsBoundWhateverItAdded) {
    RetentionRules rules;
    rules.entries = 10;
    rules.step = 4;  // smaller than what one commit adds: the commit's budget covers it anyway
    SqliteWriter& writer = open_writer(rules);
    // The first commit counts the new app; every later one trims it inside the transaction.
    append_and_commit(writer, entries("a", 5));
    for (int round = 0; round < 5; ++round) {
        append_and_commit(writer, entries("a", 25, "r" + std::to_string(round) + "-"));
        EXPECT_EQ(kept("a"), 10) << round;
    }
    EXPECT_EQ(status_.stats().entries_removed, static_cast<std::uint64_t>(5 + 5 * 25 - 10));
}

TEST_F(RetentionTest, AStepBetweenTransactionsDeletesAtMostItsStepAndTheOldestFirst) {
    SqliteWriter& writer = open_writer();  // 100,000 per app: nothing to trim yet
    append_and_commit(writer, entries("a", 30));
    writer_.reset();
    RetentionRules rules;
    rules.entries = 10;
    rules.step = 7;
    SqliteWriter& reopened = open_writer(rules);
    EXPECT_TRUE(reopened.retention_step());  // counts the app (unknown after a start)
    EXPECT_EQ(kept("a"), 30);
    EXPECT_TRUE(reopened.retention_step());
    EXPECT_EQ(kept("a"), 23);
    // The oldest went first.
    EXPECT_EQ(committed("SELECT count(*) FROM entries WHERE json_extract(encoded, '$.message') IN "
                        "('m0', 'm6')"),
              0);
    EXPECT_EQ(
        committed("SELECT count(*) FROM entries WHERE json_extract(encoded, '$.message') = 'm7'"),
        1);
    reopened.run_retention();
    EXPECT_EQ(kept("a"), 10);
    EXPECT_FALSE(reopened.retention_step());  // nothing left: retention rests
    EXPECT_FALSE(reopened.retention().active());
    auto loaded = reopened.read_recent(path(), 100, SqliteOptions::RestoreRead::automatic);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].second.front()->message(), "m20");
}

TEST_F(RetentionTest, AgeCountsFromArrivalNotFromTheEntrysOwnTimestamp) {
    RetentionRules rules;
    rules.age = std::chrono::hours(1);
    SqliteWriter& writer = open_writer(rules);
    // Stamped two hours ago by its producer, but it arrived now: kept.
    append_and_commit(writer, {entry("a", "late", "info", clock_.now_ms() - 2 * 3600 * 1000)});
    writer.run_retention();
    EXPECT_EQ(kept("a"), 1);
    clock_.advance(2 * 3600 * 1000);
    append_and_commit(writer, {entry("a", "fresh")});
    writer.run_retention();
    EXPECT_EQ(kept("a"), 1);
    EXPECT_EQ(
        committed(
            "SELECT count(*) FROM entries WHERE json_extract(encoded, '$.message') = 'fresh'"),
        1);
}

TEST_F(RetentionTest, RestsAfterFindingNothingAndAClearWakesIt) {
    SqliteWriter& writer = open_writer();
    SqliteRetention& retention = writer.retention();
    const auto now = std::chrono::steady_clock::now();
    retention.rest(now);
    EXPECT_FALSE(retention.due(now));
    EXPECT_TRUE(retention.due(now + retention.rules().interval));
    append_and_commit(writer, entries("a", 3));
    Outcome c;
    writer.clear("a", c.done());
    EXPECT_TRUE(retention.active()) << "a clear leaves rows for retention to delete";
    writer.commit();
    // The commit's own retention deleted the hidden rows.
    EXPECT_EQ(committed_rows(), 0);
}

}  // namespace
}  // namespace smartlog::storage

// tests/unit/storage/sqlite_writer_test.cpp: the writing connection, called directly: when
// writes become visible, when their callers hear of it, what a failure takes with it.
#include "storage/sqlite_writer.hpp"

#include <gtest/gtest.h>

#include "full_disk.hpp"
#include "sqlite_parts.hpp"

namespace smartlog::storage {
namespace {

using SqliteWriterTest = SqlitePartsTest;

TEST_F(SqliteWriterTest, AppendsStayInvisibleAndUnacknowledgedUntilTheCommit) {
    SqliteWriter& writer = open_writer();
    Outcome first, second;
    writer.append(entries("a", 3), first.done());
    writer.append(entries("b", 2), second.done());
    EXPECT_TRUE(writer.in_transaction());
    EXPECT_FALSE(first.ec) << "done ran before the commit";
    EXPECT_EQ(committed_rows(), 0);
    writer.commit();
    EXPECT_FALSE(writer.in_transaction());
    ASSERT_TRUE(first.ec && second.ec);
    EXPECT_FALSE(*first.ec);
    EXPECT_FALSE(*second.ec);
    EXPECT_EQ(committed_rows(), 5);
    const StoreStats stats = status_.stats();
    EXPECT_EQ(stats.commits, 1u);
    EXPECT_EQ(stats.entries_written, 5u);
}

TEST_F(SqliteWriterTest, AFailedCommitFailsEveryWriteOfItsTransactionAndNothingBefore) {
    FullDisk disk;
    SqliteWriter& writer = open_writer();
    Outcome kept;
    writer.append(entries("a", 2, "kept"), kept.done());
    writer.commit();
    FullDisk::full = true;
    Outcome lost1, lost2, cleared;
    writer.append(entries("a", 3, "lost"), lost1.done());
    writer.append(entries("b", 1, "lost"), lost2.done());
    writer.clear("a", cleared.done());
    writer.commit();
    FullDisk::full = false;
    ASSERT_TRUE(lost1.ec && lost2.ec && cleared.ec);
    EXPECT_EQ(*lost1.ec, std::make_error_code(std::errc::no_space_on_device));
    EXPECT_EQ(*lost2.ec, std::make_error_code(std::errc::no_space_on_device));
    EXPECT_EQ(*cleared.ec, std::make_error_code(std::errc::no_space_on_device));
    EXPECT_FALSE(writer.in_transaction());
    EXPECT_EQ(status_.stats().entries_failed, 4u);
    // The clear went with its transaction: app a keeps what was committed before.
    EXPECT_EQ(
        committed(
            "SELECT count(*) FROM entries e JOIN apps a ON a.key = e.app WHERE e.seq > a.floor"),
        2);
}

TEST_F(SqliteWriterTest, AProbeClearsADiskErrorOnceSpaceReturns) {
    FullDisk disk;
    SqliteWriter& writer = open_writer();
    FullDisk::full = true;
    Outcome lost;
    writer.append(entries("a", 1), lost.done());
    writer.commit();
    EXPECT_FALSE(status_.healthy());
    EXPECT_TRUE(writer.retrying());
    // While the disk is full, a probe fails too and the error stays.
    writer.probe();
    EXPECT_FALSE(status_.healthy());
    FullDisk::full = false;
    // No append: the probe alone shows that writing works again.
    writer.probe();
    EXPECT_TRUE(status_.healthy()) << status_.message();
    EXPECT_FALSE(writer.retrying());
}

TEST_F(SqliteWriterTest, AnErrorThatIsNotTheDisksIsNeverClearedByAProbe) {
    SqliteWriter& writer = open_writer();
    Outcome ok;
    writer.append(entries("a", 1), ok.done());
    writer.commit();
    // Another process breaks the database under the writer.
    sqlite3* db = nullptr;
    sqlite3_open(path().c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE entries", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    Outcome lost;
    writer.append(entries("a", 1), lost.done());
    ASSERT_TRUE(lost.ec);
    EXPECT_EQ(*lost.ec, std::make_error_code(std::errc::io_error));
    EXPECT_FALSE(writer.retrying());
    writer.probe();
    EXPECT_FALSE(status_.healthy());
}

TEST_F(SqliteWriterTest, AClearHidesWhatWasStoredBeforeItAndNotWhatComesAfter) {
    SqliteWriter& writer = open_writer();
    Outcome a, c, b;
    writer.append(entries("a", 3, "old"), a.done());
    writer.clear("a", c.done());
    writer.append(entries("a", 2, "new"), b.done());
    writer.commit();
    ASSERT_TRUE(c.ec);
    EXPECT_FALSE(*c.ec);
    EXPECT_EQ(
        committed(
            "SELECT count(*) FROM entries e JOIN apps a ON a.key = e.app WHERE e.seq > a.floor"),
        2);
    auto loaded = writer.read_recent(path(), 10, SqliteOptions::RestoreRead::automatic);
    ASSERT_EQ(loaded.size(), 1u);
    ASSERT_EQ(loaded[0].second.size(), 2u);
    EXPECT_EQ(loaded[0].second[0]->message(), "new0");
}

TEST_F(SqliteWriterTest, AClearOfAnUnknownAppIsDoneAtOnceWithoutATransaction) {
    SqliteWriter& writer = open_writer();
    Outcome c;
    writer.clear("nobody", c.done());
    ASSERT_TRUE(c.ec);
    EXPECT_FALSE(*c.ec);
    EXPECT_FALSE(writer.in_transaction());
}

TEST_F(SqliteWriterTest, WritesCountTheTransactionsThatMakeAPreloadStale) {
    SqliteWriter& writer = open_writer();
    EXPECT_EQ(writer.writes(), 0u);
    writer.commit();  // nothing open: not a write
    EXPECT_EQ(writer.writes(), 0u);
    Outcome a;
    writer.append(entries("a", 1), a.done());
    writer.commit();
    EXPECT_EQ(writer.writes(), 1u);
}

}  // namespace
}  // namespace smartlog::storage

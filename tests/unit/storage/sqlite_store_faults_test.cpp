// tests/unit/storage/sqlite_store_faults_test.cpp: SqliteStore when the disk fills up or the
// database is damaged (docs/storage.md, "Faults"). A full disk is injected by replacing the
// pwrite64 of SQLite's own unix VFS (sqlite3_vfs.xSetSystemCall), the fault-injecting Env of
// LevelDB in SQLite's terms: deterministic, no root, no special filesystem.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "core/id_generator.hpp"
#include "full_disk.hpp"
#include "storage/sqlite_store.hpp"

namespace smartlog::storage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SqliteStoreFaultsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("smartlog-faults-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(std::random_device{}()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<SqliteStore> open(SqliteOptions options = {}, fs::path dir = {}) {
        options.data_dir = dir.empty() ? dir_ : dir;
        return std::make_unique<SqliteStore>(std::move(options), clock_);
    }
    static SqliteOptions sync() {
        SqliteOptions options;
        options.sync = true;
        options.retention_interval = std::chrono::hours(1);  // no probe unless a test asks
        return options;
    }

    std::vector<core::EntryPtr> entries(const std::string& app, int n, const std::string& prefix) {
        std::vector<core::EntryPtr> out;
        for (int i = 0; i < n; ++i) {
            const std::string id = ids_.next(clock_.now_ms());
            const std::string message = prefix + std::to_string(i);
            auto e = core::make_entry({.id = id,
                                       .timestamp = clock_.now_ms(),
                                       .level = "info",
                                       .message = message,
                                       .app_id = app,
                                       .user_id = "u1"});
            out.push_back(std::move(e));
        }
        return out;
    }

    static std::error_code append(Store& store, std::vector<core::EntryPtr> batch) {
        std::promise<std::error_code> p;
        store.append(std::move(batch), [&](std::error_code ec) { p.set_value(ec); });
        return p.get_future().get();
    }

    // Every message kept for `app`, oldest first, read back after a reopen.
    std::vector<std::string> reopened_messages(const std::string& app, fs::path dir = {}) {
        auto store = open({}, dir);
        std::vector<std::string> out;
        for (auto& [name, list] : store->load_recent(100'000)) {
            if (name != app) continue;
            for (auto& e : list) out.push_back(e->message());
        }
        return out;
    }

    fs::path dir_;
    core::ManualClock clock_;
    core::IdGenerator ids_;
};

std::vector<std::string> names(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

TEST_F(SqliteStoreFaultsTest,
       SyncModeFailsEveryAppendWhileTheDiskIsFullAndRecoversWhenSpaceReturns) {
    FullDisk disk;
    std::mutex events_mu;
    std::vector<StoreEvent> events;
    auto kinds = [&] {
        std::lock_guard lock(events_mu);
        std::vector<StoreEvent::Kind> out;
        for (const auto& e : events) out.push_back(e.kind);
        return out;
    };
    {
        SqliteOptions options = sync();
        options.on_event = [&](const StoreEvent& e) {
            std::lock_guard lock(events_mu);
            events.push_back(e);
        };
        auto store = open(options);
        ASSERT_FALSE(append(*store, entries("a", 3, "before")));
        FullDisk::full = true;
        EXPECT_EQ(append(*store, entries("a", 4, "lost")),
                  std::make_error_code(std::errc::no_space_on_device));
        EXPECT_EQ(append(*store, entries("a", 2, "lost-again")),
                  std::make_error_code(std::errc::no_space_on_device));
        EXPECT_GT(FullDisk::refused.load(), 0u);
        EXPECT_FALSE(store->healthy());
        EXPECT_NE(store->health_message().find("full"), std::string::npos)
            << store->health_message();

        // Each failure went to the server log, not only to /readyz.
        EXPECT_GE(kinds().size(), 2u);
        for (auto kind : kinds()) EXPECT_EQ(kind, StoreEvent::Kind::error);
        {
            std::lock_guard lock(events_mu);
            EXPECT_NE(events[0].message.find("full"), std::string::npos) << events[0].message;
        }

        FullDisk::full = false;
        EXPECT_FALSE(append(*store, entries("a", 2, "after")));
        EXPECT_TRUE(store->healthy()) << store->health_message();
        EXPECT_EQ(store->health_message(), "");
        EXPECT_EQ(kinds().back(), StoreEvent::Kind::recovered);
        EXPECT_EQ(store->stats().entries_failed, 6u);
        store->close();
    }
    auto expected = names("before", 3);
    for (auto& m : names("after", 2)) expected.push_back(m);
    EXPECT_EQ(reopened_messages("a"), expected);
}

TEST_F(SqliteStoreFaultsTest, AnIdleStoreNoticesThatSpaceReturned) {
    FullDisk disk;
    // The store says when it recovers; the test waits for that word, not for time.
    std::promise<void> recovered;
    std::atomic<bool> told{false};
    SqliteOptions options = sync();
    options.retention_interval = 10ms;  // how often the idle store probes
    options.on_event = [&](const StoreEvent& e) {
        if (e.kind == StoreEvent::Kind::recovered && !told.exchange(true)) recovered.set_value();
    };
    auto store = open(options);
    FullDisk::full = true;
    EXPECT_TRUE(append(*store, entries("a", 1, "lost")));
    EXPECT_FALSE(store->healthy());
    FullDisk::full = false;
    // No append: only the worker's own probe can clear the error (SqliteWriter::probe is
    // tested directly in sqlite_writer_test.cpp).
    recovered.get_future().wait();
    EXPECT_TRUE(store->healthy()) << store->health_message();
}

TEST_F(SqliteStoreFaultsTest, BatchModeLosesWhatItCouldNotCommitAndNothingElse) {
    FullDisk disk;
    SqliteOptions options;
    options.commit_interval = 1ms;
    {
        auto store = open(options);
        ASSERT_FALSE(append(*store, entries("a", 2, "before")));
        FullDisk::full = true;
        // batch mode runs `done` after the commit too; the server acknowledges before it.
        EXPECT_TRUE(append(*store, entries("a", 3, "lost")));
        EXPECT_FALSE(store->healthy());
        FullDisk::full = false;
        EXPECT_FALSE(append(*store, entries("a", 1, "after")));
        EXPECT_TRUE(store->healthy()) << store->health_message();
        store->close();
    }
    EXPECT_EQ(reopened_messages("a"), (std::vector<std::string>{"before0", "before1", "after0"}));
}

TEST_F(SqliteStoreFaultsTest, AnErrorThatIsNotTheDisksStaysUntilRestart) {
    auto store = open(sync());
    ASSERT_FALSE(append(*store, entries("a", 1, "m")));
    // Another process breaks the schema under the store, then repairs it.
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "smartlog.db").c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE entries RENAME TO moved", nullptr, nullptr, nullptr),
              SQLITE_OK);
    EXPECT_EQ(append(*store, entries("a", 1, "x")), std::make_error_code(std::errc::io_error));
    EXPECT_FALSE(store->healthy());
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE moved RENAME TO entries", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    // Writes work again, but nobody knows what else broke: /readyz keeps saying so.
    EXPECT_FALSE(append(*store, entries("a", 1, "y")));
    EXPECT_FALSE(store->healthy());
    EXPECT_NE(store->health_message().find("no such table"), std::string::npos)
        << store->health_message();
}

// A crash in the middle of writing a transaction leaves a WAL whose last frame is incomplete:
// SQLite recovers by ignoring it, and every committed transaction before it stays.
TEST_F(SqliteStoreFaultsTest, ATornWalTailKeepsEveryCommittedEntry) {
    const fs::path crashed = dir_ / "crashed";
    auto store = open(sync());
    for (int i = 0; i < 5; ++i)
        ASSERT_FALSE(append(*store, entries("a", 20, "b" + std::to_string(i) + "-")));
    // The files as a SIGKILL would leave them: the store is idle, every commit is in the WAL.
    fs::create_directories(crashed);
    fs::copy_file(dir_ / "smartlog.db", crashed / "smartlog.db");
    const std::string wal = read_file(dir_ / "smartlog.db-wal");
    ASSERT_GT(wal.size(), 32u + 24u) << "nothing in the WAL";
    store->close();
    // The unfinished transaction: a frame header copied from a real frame (right salts) and
    // half a page of garbage, cut mid-frame.
    std::string torn = wal;
    torn += wal.substr(32, 24);
    std::mt19937 rng(7);
    for (int i = 0; i < 2048; ++i) torn += static_cast<char>(rng());
    std::ofstream(crashed / "smartlog.db-wal", std::ios::binary) << torn;

    std::vector<std::string> expected;
    for (int i = 0; i < 5; ++i) {
        for (auto& m : names("b" + std::to_string(i) + "-", 20)) expected.push_back(m);
    }
    EXPECT_EQ(reopened_messages("a", crashed), expected);
}

TEST_F(SqliteStoreFaultsTest, RefusesADamagedDatabaseAndLeavesItAsItWas) {
    {
        auto store = open(sync());
        for (int i = 0; i < 20; ++i) ASSERT_FALSE(append(*store, entries("a", 50, "m")));
        store->close();
    }
    const fs::path db = dir_ / "smartlog.db";
    std::string bytes = read_file(db);
    ASSERT_GT(bytes.size(), 8u * 4096);
    // Garbage over the middle of the file, not over the header: only a check of the pages sees it.
    std::mt19937 rng(11);
    for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 3 * 4096; ++i)
        bytes[i] = static_cast<char>(rng());
    std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;

    try {
        open(sync());
        FAIL() << "a damaged database was opened";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(db.string() + " is damaged"), std::string::npos) << what;
        EXPECT_NE(what.find("changed nothing"), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_EQ(read_file(db), bytes);
    EXPECT_FALSE(fs::exists(dir_ / "smartlog.db-wal") &&
                 fs::file_size(dir_ / "smartlog.db-wal") > 0);
}

// The check runs on its own thread while the constructor reads the histories
// (preload_per_app): the refusal is the same, and nothing is written.
TEST_F(SqliteStoreFaultsTest, RefusesADamagedDatabaseWhileReadingTheHistoriesAlongsideTheCheck) {
    {
        auto store = open(sync());
        for (int i = 0; i < 20; ++i) ASSERT_FALSE(append(*store, entries("a", 50, "m")));
        store->close();
    }
    const fs::path db = dir_ / "smartlog.db";
    std::string bytes = read_file(db);
    std::mt19937 rng(11);
    for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 3 * 4096; ++i)
        bytes[i] = static_cast<char>(rng());
    std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;

    for (auto check : {StartupCheck::quick, StartupCheck::full}) {
        SqliteOptions options = sync();
        options.check = check;
        options.preload_per_app = 1000;
        try {
            open(options);
            FAIL() << "a damaged database was opened";
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            const std::string name =
                check == StartupCheck::quick ? "quick_check: " : "integrity_check: ";
            EXPECT_NE(what.find(db.string() + " is damaged (" + name), std::string::npos) << what;
            EXPECT_NE(what.find("changed nothing"), std::string::npos) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        }
        EXPECT_EQ(read_file(db), bytes);
        EXPECT_FALSE(fs::exists(dir_ / "smartlog.db-wal") &&
                     fs::file_size(dir_ / "smartlog.db-wal") > 0);
    }
}

TEST_F(SqliteStoreFaultsTest, RefusesATruncatedDatabase) {
    {
        auto store = open(sync());
        for (int i = 0; i < 20; ++i) ASSERT_FALSE(append(*store, entries("a", 50, "m")));
        store->close();
    }
    const fs::path db = dir_ / "smartlog.db";
    fs::resize_file(db, fs::file_size(db) / 2);
    EXPECT_THROW(open(sync()), std::runtime_error);
}

TEST_F(SqliteStoreFaultsTest, RefusesAFileThatIsNotADatabase) {
    fs::create_directories(dir_);
    const std::string text(10000, 'x');
    std::ofstream(dir_ / "smartlog.db", std::ios::binary) << text;
    for (auto check : {StartupCheck::quick, StartupCheck::none}) {
        SqliteOptions options = sync();
        options.check = check;
        try {
            open(options);
            FAIL() << "opened a file that is not a database";
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("is damaged ("), std::string::npos) << what;
            EXPECT_NE(what.find("file is not a database"), std::string::npos) << what;
        }
        EXPECT_EQ(read_file(dir_ / "smartlog.db"), text);
    }
}

}  // namespace
}  // namespace smartlog::storage

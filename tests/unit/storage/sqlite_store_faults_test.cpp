// tests/unit/storage/sqlite_store_faults_test.cpp: SqliteStore when the disk fills up
// (docs/storage.md, "Faults"). A full disk is injected by replacing the
// pwrite64 of SQLite's own unix VFS (sqlite3_vfs.xSetSystemCall), the fault-injecting Env of
// LevelDB in SQLite's terms: deterministic, no root, no special filesystem.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <random>
#include <thread>

#include "core/id_generator.hpp"
#include "storage/sqlite_store.hpp"

namespace smartlog::storage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// While alive, every write SQLite makes fails with ENOSPC when `full` is set.
class FullDisk {
public:
    FullDisk() : vfs_(sqlite3_vfs_find(nullptr)) {
        real_ = reinterpret_cast<Pwrite>(vfs_->xGetSystemCall(vfs_, "pwrite64"));
        EXPECT_NE(real_, nullptr) << "this SQLite does not write with pwrite64";
        vfs_->xSetSystemCall(vfs_, "pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(&pwrite_or_full));
    }
    ~FullDisk() {
        vfs_->xSetSystemCall(vfs_, "pwrite64", nullptr);  // nullptr: back to the default
        full = false;
    }
    FullDisk(const FullDisk&) = delete;
    FullDisk& operator=(const FullDisk&) = delete;

    static inline std::atomic<bool> full{false};
    static inline std::atomic<std::uint64_t> refused{0};

private:
    using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);
    static ssize_t pwrite_or_full(int fd, const void* buf, size_t n, off_t offset) {
        if (full) {
            ++refused;
            errno = ENOSPC;
            return -1;
        }
        return real_(fd, buf, n, offset);
    }
    static inline Pwrite real_ = nullptr;
    sqlite3_vfs* vfs_;
};

class SqliteStoreFaultsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("smartlog-faults-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
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
            auto e = std::make_shared<core::Entry>();
            e->id = ids_.next(clock_.now_ms());
            e->timestamp = clock_.now_ms();
            e->level = "info";
            e->message = prefix + std::to_string(i);
            e->app_id = app;
            e->user_id = "u1";
            e->encoded = "{\"id\":\"" + e->id + "\"}";
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
            for (auto& e : list) out.push_back(e->message);
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

TEST_F(SqliteStoreFaultsTest, SyncModeFailsEveryAppendWhileTheDiskIsFullAndRecoversWhenSpaceReturns) {
    FullDisk disk;
    {
        auto store = open(sync());
        ASSERT_FALSE(append(*store, entries("a", 3, "before")));
        FullDisk::full = true;
        EXPECT_EQ(append(*store, entries("a", 4, "lost")), std::make_error_code(std::errc::no_space_on_device));
        EXPECT_EQ(append(*store, entries("a", 2, "lost-again")), std::make_error_code(std::errc::no_space_on_device));
        EXPECT_GT(FullDisk::refused.load(), 0u);
        EXPECT_FALSE(store->healthy());
        EXPECT_NE(store->health_message().find("full"), std::string::npos) << store->health_message();

        FullDisk::full = false;
        EXPECT_FALSE(append(*store, entries("a", 2, "after")));
        EXPECT_TRUE(store->healthy()) << store->health_message();
        EXPECT_EQ(store->health_message(), "");
        store->close();
    }
    auto expected = names("before", 3);
    for (auto& m : names("after", 2)) expected.push_back(m);
    EXPECT_EQ(reopened_messages("a"), expected);
}

TEST_F(SqliteStoreFaultsTest, AnIdleStoreNoticesThatSpaceReturned) {
    FullDisk disk;
    SqliteOptions options = sync();
    options.retention_interval = 10ms;  // how often the idle store probes
    auto store = open(options);
    FullDisk::full = true;
    EXPECT_TRUE(append(*store, entries("a", 1, "lost")));
    EXPECT_FALSE(store->healthy());
    FullDisk::full = false;
    // No append: only the storage thread's own probe can clear the error. Bounded wait.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!store->healthy() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
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
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE entries RENAME TO moved", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(append(*store, entries("a", 1, "x")), std::make_error_code(std::errc::io_error));
    EXPECT_FALSE(store->healthy());
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE moved RENAME TO entries", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    // Writes work again, but nobody knows what else broke: /readyz keeps saying so.
    EXPECT_FALSE(append(*store, entries("a", 1, "y")));
    EXPECT_FALSE(store->healthy());
    EXPECT_NE(store->health_message().find("no such table"), std::string::npos) << store->health_message();
}

}  // namespace
}  // namespace smartlog::storage

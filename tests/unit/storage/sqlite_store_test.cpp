// tests/unit/storage/sqlite_store_test.cpp: SqliteStore against a real database in a temp dir.
#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <future>
#include <map>
#include <random>

#include "core/id_generator.hpp"

namespace smartlog::storage {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("smartlog-store-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<SqliteStore> open(SqliteOptions options = {}) {
        options.data_dir = dir_;
        options.retention_interval = std::chrono::hours(1);  // tests run it by hand
        return std::make_unique<SqliteStore>(std::move(options), clock_);
    }

    core::EntryPtr entry(const std::string& app, std::string message, std::string level = "info",
                         std::int64_t timestamp = 0) {
        auto e = std::make_shared<core::Entry>();
        e->id = ids_.next(clock_.now_ms());
        e->timestamp = timestamp ? timestamp : clock_.now_ms();
        e->level = std::move(level);
        e->message = std::move(message);
        e->app_id = app;
        e->user_id = "u1";
        e->encoded = "{\"id\":\"" + e->id + "\"}";
        return e;
    }

    std::vector<core::EntryPtr> entries(const std::string& app, int n, const std::string& prefix = "m") {
        std::vector<core::EntryPtr> out;
        for (int i = 0; i < n; ++i) out.push_back(entry(app, prefix + std::to_string(i)));
        return out;
    }

    static std::error_code append(Store& store, std::vector<core::EntryPtr> batch) {
        std::promise<std::error_code> p;
        store.append(std::move(batch), [&](std::error_code ec) { p.set_value(ec); });
        return p.get_future().get();
    }

    static QueryResult query(Store& store, Query q) {
        std::promise<QueryResult> p;
        store.query(std::move(q), [&](std::error_code ec, QueryResult r) {
            EXPECT_FALSE(ec) << ec.message();
            p.set_value(std::move(r));
        });
        return p.get_future().get();
    }

    static std::vector<std::string> messages(const QueryResult& r) {
        std::vector<std::string> out;
        for (const auto& e : r.entries) out.push_back(e->message);
        return out;
    }

    fs::path dir_;
    core::ManualClock clock_;
    core::IdGenerator ids_;
};

TEST_F(SqliteStoreTest, KeepsEntriesAcrossReopenInOrderWithTheirIds) {
    auto written = entries("a", 5);
    {
        auto store = open();
        ASSERT_FALSE(append(*store, written));
        store->close();
    }
    auto store = open();
    auto loaded = store->load_recent(100);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].first, "a");
    ASSERT_EQ(loaded[0].second.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(loaded[0].second[i]->id, written[i]->id);
        EXPECT_EQ(loaded[0].second[i]->message, written[i]->message);
        EXPECT_EQ(loaded[0].second[i]->encoded, written[i]->encoded);
        EXPECT_EQ(loaded[0].second[i]->app_id, "a");
        EXPECT_EQ(loaded[0].second[i]->user_id, "u1");
    }
}

TEST_F(SqliteStoreTest, LoadRecentGivesTheNewestOfEachAppOldestFirst) {
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 10)));
    ASSERT_FALSE(append(*store, entries("b", 2)));
    auto loaded = store->load_recent(3);
    ASSERT_EQ(loaded.size(), 2u);
    for (auto& [app, list] : loaded) {
        if (app == "a") {
            ASSERT_EQ(list.size(), 3u);
            EXPECT_EQ(list[0]->message, "m7");
            EXPECT_EQ(list[2]->message, "m9");
        } else {
            EXPECT_EQ(list.size(), 2u);
        }
    }
}

// What load_recent gave, as app -> ids (oldest first).
std::map<std::string, std::vector<std::string>> by_app(const std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>& loaded) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [app, list] : loaded) {
        auto& ids = out[app];
        for (const auto& e : list) {
            EXPECT_EQ(e->app_id, app);
            ids.push_back(e->id);
        }
    }
    return out;
}

TEST_F(SqliteStoreTest, LoadRecentReadsTheSameByOneScanAsByTheIndex) {
    const auto late = entries("d", 4, "late");  // ids older than d's first batch, stored after it
    std::vector<core::EntryPtr> last;
    {
        auto store = open();
        ASSERT_FALSE(append(*store, entries("a", 10)));
        ASSERT_FALSE(append(*store, entries("b", 2)));
        ASSERT_FALSE(append(*store, entries("c", 5, "old")));
        std::promise<std::error_code> cleared;
        store->clear("c", [&](std::error_code ec) { cleared.set_value(ec); });
        EXPECT_FALSE(cleared.get_future().get());
        ASSERT_FALSE(append(*store, entries("d", 3, "early")));
        ASSERT_FALSE(append(*store, late));
        ASSERT_FALSE(append(*store, entries("a", 6, "more")));
        last = entries("c", 3, "new");
        ASSERT_FALSE(append(*store, last));
        ASSERT_FALSE(append(*store, entries("e", 1)));
        store->close();
    }
    for (std::size_t per_app : {1u, 3u, 7u, 100u}) {
        std::map<std::string, std::vector<std::string>> expected;
        {
            SqliteOptions options;
            options.restore_read = SqliteOptions::RestoreRead::per_app;
            auto store = open(options);
            expected = by_app(store->load_recent(per_app));
            store->close();
        }
        ASSERT_EQ(expected.size(), 5u);
        EXPECT_EQ(expected["b"].size(), std::min<std::size_t>(per_app, 2));
        EXPECT_EQ(expected["c"].back(), last.back()->id);  // the cleared ones are gone
        EXPECT_EQ(expected["c"].size(), std::min<std::size_t>(per_app, 3));
        EXPECT_EQ(expected["d"].size(), std::min<std::size_t>(per_app, 7));
        for (auto way : {SqliteOptions::RestoreRead::scan, SqliteOptions::RestoreRead::automatic}) {
            SqliteOptions options;
            options.restore_read = way;
            auto store = open(options);
            EXPECT_EQ(by_app(store->load_recent(per_app)), expected) << "per_app " << per_app;
            store->close();
        }
    }
}

TEST_F(SqliteStoreTest, PreloadedHistoriesAreWhatLoadRecentReadsUntilAWrite) {
    {
        auto store = open();
        ASSERT_FALSE(append(*store, entries("a", 10)));
        ASSERT_FALSE(append(*store, entries("b", 2)));
        store->close();
    }
    std::map<std::string, std::vector<std::string>> expected;
    {
        auto store = open();
        expected = by_app(store->load_recent(3));
        store->close();
    }
    SqliteOptions options;
    options.preload_per_app = 3;
    {
        auto store = open(options);
        EXPECT_EQ(by_app(store->load_recent(3)), expected);
        EXPECT_EQ(by_app(store->load_recent(3)), expected);  // read again
        EXPECT_EQ(by_app(store->load_recent(2))["a"].size(), 2u);
        store->close();
    }
    {
        auto store = open(options);
        auto newer = entries("a", 1, "newer");
        ASSERT_FALSE(append(*store, newer));
        auto loaded = by_app(store->load_recent(3));
        ASSERT_EQ(loaded["a"].size(), 3u);
        EXPECT_EQ(loaded["a"].back(), newer[0]->id);
        store->close();
    }
}

TEST_F(SqliteStoreTest, SyncModeRunsDoneOnlyOnceCommitted) {
    SqliteOptions options;
    options.sync = true;
    auto store = open(options);
    std::promise<std::int64_t> seen;
    const std::string path = (dir_ / "smartlog.db").string();
    store->append(entries("a", 3), [&](std::error_code ec) {
        ASSERT_FALSE(ec);
        // Another connection sees only committed rows.
        sqlite3* db = nullptr;
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM entries", -1, &s, nullptr);
        sqlite3_step(s);
        seen.set_value(sqlite3_column_int64(s, 0));
        sqlite3_finalize(s);
        sqlite3_close(db);
    });
    EXPECT_EQ(seen.get_future().get(), 3);
}

TEST_F(SqliteStoreTest, ClearHidesTheAppsEntriesAndSurvivesReopen) {
    {
        auto store = open();
        ASSERT_FALSE(append(*store, entries("a", 4, "old")));
        ASSERT_FALSE(append(*store, entries("b", 2)));
        std::promise<std::error_code> cleared;
        store->clear("a", [&](std::error_code ec) { cleared.set_value(ec); });
        EXPECT_FALSE(cleared.get_future().get());
        ASSERT_FALSE(append(*store, entries("a", 1, "new")));
        EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; return q; }())), std::vector<std::string>{"new0"});
        store->run_retention();  // deletes the hidden rows
        EXPECT_EQ(store->stats().entries_removed, 4u);
    }
    auto store = open();
    auto loaded = store->load_recent(100);
    for (auto& [app, list] : loaded) {
        if (app == "a") {
            ASSERT_EQ(list.size(), 1u);
            EXPECT_EQ(list[0]->message, "new0");
        } else {
            EXPECT_EQ(list.size(), 2u);
        }
    }
}

TEST_F(SqliteStoreTest, QueryIsNewestFirstAndPagesWithBefore) {
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 7)));
    auto first = query(*store, [&] { Query q; q.app_id = "a"; q.limit = 3; return q; }());
    EXPECT_EQ(messages(first), (std::vector<std::string>{"m6", "m5", "m4"}));
    EXPECT_TRUE(first.more);
    auto second = query(*store, [&] { Query q; q.app_id = "a"; q.limit = 3; q.before_id = first.entries.back()->id; return q; }());
    EXPECT_EQ(messages(second), (std::vector<std::string>{"m3", "m2", "m1"}));
    auto last = query(*store, [&] { Query q; q.app_id = "a"; q.limit = 3; q.before_id = second.entries.back()->id; return q; }());
    EXPECT_EQ(messages(last), std::vector<std::string>{"m0"});
    EXPECT_FALSE(last.more);
    EXPECT_TRUE(query(*store, [&] { Query q; q.app_id = "nope"; return q; }()).entries.empty());
}

TEST_F(SqliteStoreTest, QueryFiltersByLevelAndTime) {
    auto store = open();
    std::vector<core::EntryPtr> batch{entry("a", "one", "info", 1000), entry("a", "two", "error", 2000),
                                      entry("a", "three", "warn", 3000), entry("a", "four", "error", 4000)};
    ASSERT_FALSE(append(*store, batch));
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.levels = {"error", "warn"}; return q; }())),
              (std::vector<std::string>{"four", "three", "two"}));
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.start_time = 2000; q.end_time = 3000; return q; }())),
              (std::vector<std::string>{"three", "two"}));
}

TEST_F(SqliteStoreTest, SearchIsACaseInsensitiveSubstring) {
    auto store = open();
    ASSERT_TRUE(store->full_text());
    std::vector<core::EntryPtr> batch{entry("a", "Disk FULL on /var"), entry("a", "user logged in"),
                                      entry("a", "100% done"), entry("a", "100 done")};
    ASSERT_FALSE(append(*store, batch));
    ASSERT_FALSE(append(*store, {entry("b", "disk full elsewhere")}));
    // Three characters or more: the trigram index.
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.search = "disk full"; return q; }())),
              std::vector<std::string>{"Disk FULL on /var"});
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.search = "\"quoted\""; return q; }())), std::vector<std::string>{});
    // Shorter: a scan; LIKE's wildcards are taken literally.
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.search = "0%"; return q; }())), std::vector<std::string>{"100% done"});
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; q.search = "IN"; return q; }())), std::vector<std::string>{"user logged in"});
    // Paging through full-text results.
    ASSERT_FALSE(append(*store, {entry("a", "disk full again"), entry("a", "DISK FULL twice")}));
    auto page = query(*store, [&] { Query q; q.app_id = "a"; q.search = "disk full"; q.limit = 2; return q; }());
    EXPECT_EQ(messages(page), (std::vector<std::string>{"DISK FULL twice", "disk full again"}));
    EXPECT_TRUE(page.more);
    page = query(*store, [&] { Query q; q.app_id = "a"; q.search = "disk full"; q.limit = 2; q.before_id = page.entries.back()->id; return q; }());
    EXPECT_EQ(messages(page), std::vector<std::string>{"Disk FULL on /var"});
}

TEST_F(SqliteStoreTest, RetentionKeepsTheNewestEntriesOfEachApp) {
    SqliteOptions options;
    options.retention_entries = 5;
    options.retention_step = 3;  // several small steps
    auto store = open(options);
    ASSERT_FALSE(append(*store, entries("a", 20)));
    ASSERT_FALSE(append(*store, entries("b", 4)));
    store->run_retention();
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; return q; }())), (std::vector<std::string>{"m19", "m18", "m17", "m16", "m15"}));
    EXPECT_EQ(query(*store, [&] { Query q; q.app_id = "b"; return q; }()).entries.size(), 4u);
    EXPECT_EQ(store->stats().entries_removed, 15u);
}

TEST_F(SqliteStoreTest, RetentionRemovesEntriesOlderThanTheAge) {
    SqliteOptions options;
    options.retention_age = std::chrono::hours(1);
    auto store = open(options);
    ASSERT_FALSE(append(*store, entries("a", 3, "old")));
    clock_.advance(3600 * 1000 + 1);
    ASSERT_FALSE(append(*store, entries("a", 2, "new")));
    store->run_retention();
    EXPECT_EQ(messages(query(*store, [&] { Query q; q.app_id = "a"; return q; }())), (std::vector<std::string>{"new1", "new0"}));
}

TEST_F(SqliteStoreTest, RefusesAppendsBeyondItsQueueBound) {
    SqliteOptions options;
    options.max_queued_entries = 2;
    auto store = open(options);
    EXPECT_EQ(append(*store, entries("a", 3)), std::make_error_code(std::errc::no_buffer_space));
    EXPECT_EQ(store->stats().entries_dropped, 3u);
    EXPECT_FALSE(append(*store, entries("a", 2)));
}

TEST_F(SqliteStoreTest, RefusesADatabaseOfANewerSchema) {
    open()->close();
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "smartlog.db").c_str(), &db);
    sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    EXPECT_THROW(open(), std::runtime_error);
}

TEST_F(SqliteStoreTest, ADiskErrorFailsTheWritersAndStaysVisible) {
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 1)));
    // Another process breaks the database under the store.
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "smartlog.db").c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE entries", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    EXPECT_EQ(append(*store, entries("a", 2)), std::make_error_code(std::errc::io_error));
    EXPECT_FALSE(store->healthy());
    EXPECT_NE(store->health_message().find("storage error"), std::string::npos);
    EXPECT_GE(store->stats().errors, 1u);
}

TEST_F(SqliteStoreTest, AppendFailsAfterClose) {
    auto store = open();
    store->close();
    EXPECT_TRUE(append(*store, entries("a", 1)));
    EXPECT_TRUE(store->healthy());
}

}  // namespace
}  // namespace smartlog::storage

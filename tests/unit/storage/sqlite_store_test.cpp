// tests/unit/storage/sqlite_store_test.cpp: SqliteStore against a real database in a temp dir.
#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/id_generator.hpp"

namespace smartlog::storage {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("smartlog-store-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(std::random_device{}()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<SqliteStore> open(SqliteOptions options = {}) {
        options.data_dir = dir_;
        options.retention_interval = std::chrono::hours(1);  // tests run it by hand
        return std::make_unique<SqliteStore>(std::move(options), clock_);
    }

    core::EntryPtr entry(const std::string& app, std::string message, std::string level = "info",
                         std::int64_t timestamp = 0) {
        const std::string id = ids_.next(clock_.now_ms());
        return core::make_entry({.id = id,
                                 .timestamp = timestamp ? timestamp : clock_.now_ms(),
                                 .level = level,
                                 .message = message,
                                 .app_id = app,
                                 .user_id = "u1"});
    }

    std::map<std::string, std::vector<std::string>> store_two_apps_and_read(std::size_t per_app);

    std::vector<core::EntryPtr> entries(const std::string& app, int n,
                                        const std::string& prefix = "m") {
        std::vector<core::EntryPtr> out;
        for (int i = 0; i < n; ++i) out.push_back(entry(app, prefix + std::to_string(i)));
        return out;
    }

    static std::error_code append(Store& store, std::vector<core::EntryPtr> batch) {
        std::promise<std::error_code> p;
        store.append(std::move(batch), [&](std::error_code ec) { p.set_value(ec); });
        return p.get_future().get();
    }

    // The error a query ends with (none: success).
    static std::error_code query_error(Store& store, Query q) {
        std::promise<std::error_code> p;
        store.query(std::move(q), [&](std::error_code ec, QueryResult) { p.set_value(ec); });
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
        for (const auto& e : r.entries) out.push_back(e->message());
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
        EXPECT_EQ(loaded[0].second[i]->id(), written[i]->id());
        EXPECT_EQ(loaded[0].second[i]->message(), written[i]->message());
        EXPECT_EQ(loaded[0].second[i]->encoded(), written[i]->encoded());
        EXPECT_EQ(loaded[0].second[i]->app_id(), "a");
        EXPECT_EQ(loaded[0].second[i]->user_id(), "u1");
    }
}

TEST_F(SqliteStoreTest, SkippingKnownIdsStoresABatchDeliveredTwiceOnce) {
    SqliteOptions options;
    options.skip_known_ids = true;
    auto store = open(std::move(options));
    auto written = entries("a", 3, "message-");
    ASSERT_FALSE(append(*store, written));
    // The same three again with one new one after them, and the same ids in another app.
    auto again = written;
    again.push_back(entry("a", "new"));
    ASSERT_FALSE(append(*store, again));
    std::vector<core::EntryPtr> elsewhere;
    for (const auto& e : written) {
        elsewhere.push_back(core::make_entry({.id = e->id(),
                                              .timestamp = e->timestamp(),
                                              .level = "info",
                                              .message = "other",
                                              .app_id = "b",
                                              .user_id = "u1"}));
    }
    ASSERT_FALSE(append(*store, elsewhere));
    Query of_a;
    of_a.app_id = "a";
    EXPECT_EQ(messages(query(*store, of_a)),
              (std::vector<std::string>{"new", "message-2", "message-1", "message-0"}));
    Query of_b;
    of_b.app_id = "b";
    EXPECT_EQ(query(*store, of_b).entries.size(), 3u);
    // The search index holds each stored message once.
    Query search = of_a;
    search.filter.search = "age-1";
    EXPECT_EQ(messages(query(*store, search)), std::vector<std::string>{"message-1"});
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
            EXPECT_EQ(list[0]->message(), "m7");
            EXPECT_EQ(list[2]->message(), "m9");
        } else {
            EXPECT_EQ(list.size(), 2u);
        }
    }
}

// What load_recent gave, as app -> ids (oldest first).
std::map<std::string, std::vector<std::string>> by_app(
    const std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>& loaded) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [app, list] : loaded) {
        auto& ids = out[app];
        for (const auto& e : list) {
            EXPECT_EQ(e->app_id(), app);
            ids.emplace_back(e->id());
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
        EXPECT_EQ(expected["c"].back(), last.back()->id());  // the cleared ones are gone
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

// Stores 10 entries in "a" and 2 in "b", then reads them back without a preload.
std::map<std::string, std::vector<std::string>> SqliteStoreTest::store_two_apps_and_read(
    std::size_t per_app) {
    {
        auto store = open();
        EXPECT_FALSE(append(*store, entries("a", 10)));
        EXPECT_FALSE(append(*store, entries("b", 2)));
        store->close();
    }
    auto store = open();
    auto read = by_app(store->load_recent(per_app));
    store->close();
    return read;
}

TEST_F(SqliteStoreTest, PreloadedHistoriesAreWhatLoadRecentReadsUntilAWrite) {
    const auto expected = store_two_apps_and_read(3);
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
        EXPECT_EQ(loaded["a"].back(), newer[0]->id());
        store->close();
    }
}

TEST_F(SqliteStoreTest, HistoriesReadInTheBackgroundAreWhatLoadRecentReads) {
    const auto expected = store_two_apps_and_read(3);
    SqliteOptions options;
    options.preload_per_app = 3;
    options.preload_in_background = true;
    auto load = [](SqliteStore& store, std::size_t per_app) {
        std::promise<std::pair<std::error_code, Store::Histories>> got;
        store.load_recent_async(per_app, [&](std::error_code ec, Store::Histories h) {
            got.set_value({ec, std::move(h)});
        });
        return got.get_future().get();
    };
    {
        auto store = open(options);
        auto apps = store->stored_apps();
        std::sort(apps.begin(), apps.end());
        EXPECT_EQ(apps, (std::vector<std::string>{"a", "b"}));
        auto [ec, read] = load(*store, 3);
        EXPECT_FALSE(ec);
        EXPECT_EQ(by_app(read), expected);
        // Handed over already: read again, now.
        auto [ec2, again] = load(*store, 3);
        EXPECT_EQ(by_app(again), expected);
        EXPECT_EQ(by_app(load(*store, 2).second)["a"].size(), 2u) << "another size: read now";
        store->close();
    }
    {
        // Closed before anyone asked: close() joins the loading thread (a thread left running
        // would end the test with std::terminate, or a sanitizer report).
        auto store = open(options);
        store->close();
    }
    {
        // A write before the handover changes nothing: the hub appends to an app only once it
        // holds that app's history, and what was read stays what it was.
        auto store = open(options);
        ASSERT_FALSE(append(*store, entries("c", 2)));
        auto [ec, read] = load(*store, 3);
        EXPECT_FALSE(ec);
        EXPECT_EQ(by_app(read).count("a"), 1u);
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
        EXPECT_EQ(messages(query(*store,
                                 [&] {
                                     Query q;
                                     q.app_id = "a";
                                     return q;
                                 }())),
                  std::vector<std::string>{"new0"});
        store->run_retention();  // deletes the hidden rows
        EXPECT_EQ(store->stats().entries_removed, 4u);
    }
    auto store = open();
    auto loaded = store->load_recent(100);
    for (auto& [app, list] : loaded) {
        if (app == "a") {
            ASSERT_EQ(list.size(), 1u);
            EXPECT_EQ(list[0]->message(), "new0");
        } else {
            EXPECT_EQ(list.size(), 2u);
        }
    }
}

TEST_F(SqliteStoreTest, QueryIsNewestFirstAndPagesWithBefore) {
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 7)));
    auto first = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.limit = 3;
        return q;
    }());
    EXPECT_EQ(messages(first), (std::vector<std::string>{"m6", "m5", "m4"}));
    EXPECT_TRUE(first.more);
    auto second = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.limit = 3;
        q.before_id = first.entries.back()->id();
        return q;
    }());
    EXPECT_EQ(messages(second), (std::vector<std::string>{"m3", "m2", "m1"}));
    auto last = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.limit = 3;
        q.before_id = second.entries.back()->id();
        return q;
    }());
    EXPECT_EQ(messages(last), std::vector<std::string>{"m0"});
    EXPECT_FALSE(last.more);
    EXPECT_TRUE(query(*store,
                      [&] {
                          Query q;
                          q.app_id = "nope";
                          return q;
                      }())
                    .entries.empty());
}

TEST_F(SqliteStoreTest, QueryFiltersByLevelAndTime) {
    auto store = open();
    std::vector<core::EntryPtr> batch{
        entry("a", "one", "info", 1000), entry("a", "two", "error", 2000),
        entry("a", "three", "warn", 3000), entry("a", "four", "error", 4000)};
    ASSERT_FALSE(append(*store, batch));
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.levels = {"error", "warn"};
                                 return q;
                             }())),
              (std::vector<std::string>{"four", "three", "two"}));
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.start_time = 2000;
                                 q.filter.end_time = 3000;
                                 return q;
                             }())),
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
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.search = "disk full";
                                 return q;
                             }())),
              std::vector<std::string>{"Disk FULL on /var"});
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.search = "\"quoted\"";
                                 return q;
                             }())),
              std::vector<std::string>{});
    // Wildcards of SQL are plain characters.
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.search = "0% d";
                                 return q;
                             }())),
              std::vector<std::string>{"100% done"});
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 q.filter.search = "D IN";
                                 return q;
                             }())),
              std::vector<std::string>{"user logged in"});
    // Paging through full-text results.
    ASSERT_FALSE(append(*store, {entry("a", "disk full again"), entry("a", "DISK FULL twice")}));
    auto page = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.filter.search = "disk full";
        q.limit = 2;
        return q;
    }());
    EXPECT_EQ(messages(page), (std::vector<std::string>{"DISK FULL twice", "disk full again"}));
    EXPECT_TRUE(page.more);
    page = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.filter.search = "disk full";
        q.limit = 2;
        q.before_id = page.entries.back()->id();
        return q;
    }());
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
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 return q;
                             }())),
              (std::vector<std::string>{"m19", "m18", "m17", "m16", "m15"}));
    EXPECT_EQ(query(*store,
                    [&] {
                        Query q;
                        q.app_id = "b";
                        return q;
                    }())
                  .entries.size(),
              4u);
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
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 return q;
                             }())),
              (std::vector<std::string>{"new1", "new0"}));
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

// What the store told its event sink, from any of its threads.
class Events {
public:
    std::function<void(const StoreEvent&)> sink() {
        return [this](const StoreEvent& e) {
            std::lock_guard lock(mu_);
            seen_.push_back(e);
        };
    }
    std::vector<StoreEvent> of(StoreEvent::Kind kind) {
        std::lock_guard lock(mu_);
        std::vector<StoreEvent> out;
        for (const auto& e : seen_) {
            if (e.kind == kind) out.push_back(e);
        }
        return out;
    }

private:
    std::mutex mu_;
    std::vector<StoreEvent> seen_;
};

TEST_F(SqliteStoreTest, AcceptsEveryAppendPastItsQueueBoundAndClosingWritesThemAll) {
    Events events;
    SqliteOptions options;
    options.max_queued_entries = 10;
    options.on_event = events.sink();
    auto store = open(options);
    // Hold the storage thread in the first append's callback (batch mode: after its commit),
    // so that everything appended next stays queued.
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    store->append(entries("a", 1, "first"), [&](std::error_code ec) {
        EXPECT_FALSE(ec);
        entered.set_value();
        released.wait();
    });
    entered.get_future().wait();
    EXPECT_FALSE(store->backlogged());
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    for (int i = 0; i < 20; ++i) {
        store->append(entries("a", 5, "b" + std::to_string(i) + "-"), [&](std::error_code ec) {
            if (ec) ++failed;
            ++done;
        });
    }
    // Ten times the bound is queued: the signal says stop admitting, nothing was refused.
    EXPECT_TRUE(store->backlogged());
    EXPECT_EQ(store->stats().queued_entries, 100u);
    EXPECT_EQ(failed.load(), 0);
    release.set_value();
    store->close();
    EXPECT_EQ(done.load(), 20);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_FALSE(store->backlogged());
    const StoreStats stats = store->stats();
    EXPECT_EQ(stats.entries_written, 101u);
    EXPECT_EQ(stats.entries_failed, 0u);
    EXPECT_EQ(stats.queued_entries_peak, 100u);
    EXPECT_EQ(events.of(StoreEvent::Kind::backlog).size(), 1u);
    ASSERT_EQ(events.of(StoreEvent::Kind::drained).size(), 1u);
    EXPECT_NE(events.of(StoreEvent::Kind::drained)[0].message.find("peak 100"), std::string::npos);
    store.reset();

    auto reopened = open();
    auto loaded = reopened->load_recent(1000);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].second.size(), 101u);
    EXPECT_EQ(loaded[0].second.back()->message(), "b19-4");
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameDataDirRefusesToOpenNamingTheHolder) {
    auto first = open();
    try {
        open();
        FAIL() << "a second store opened the same data_dir";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("is in use by another smartlogd"), std::string::npos) << what;
        EXPECT_NE(what.find("pid " + std::to_string(::getpid()) + " on host "), std::string::npos)
            << what;
        EXPECT_NE(what.find("started "), std::string::npos) << what;
        EXPECT_NE(what.find((dir_ / DirLock::kFileName).string()), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    // The first one goes on as if nothing happened.
    ASSERT_FALSE(append(*first, entries("a", 2)));
    EXPECT_EQ(query(*first,
                    [&] {
                        Query q;
                        q.app_id = "a";
                        return q;
                    }())
                  .entries.size(),
              2u);
    first.reset();
    // Released with the store.
    EXPECT_NO_THROW(open());
}

TEST_F(SqliteStoreTest, ALockFileLeftBehindByADeadProcessDoesNotBlock) {
    // What a killed smartlogd leaves: the file, without its holder (the kernel dropped the lock).
    fs::create_directories(dir_);
    {
        std::ofstream(dir_ / DirLock::kFileName)
            << "pid 1 on host elsewhere, started 2000-01-01T00:00:00Z\n";
    }
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 1)));
}

TEST_F(SqliteStoreTest, StorageErrorsReachTheEventSink) {
    Events events;
    SqliteOptions options;
    options.on_event = events.sink();
    auto store = open(options);
    ASSERT_FALSE(append(*store, entries("a", 1)));
    // Another process breaks the database under the store.
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "smartlog.db").c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE entries", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    EXPECT_TRUE(append(*store, entries("a", 2)));
    const auto errors = events.of(StoreEvent::Kind::error);
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].message.find("no such table: entries"), std::string::npos)
        << errors[0].message;
    EXPECT_EQ(store->stats().entries_failed, 2u);
}

// Ingest that never pauses: every commit is followed by more appends, so retention never finds
// the store idle. Rows on disk are counted at every commit.
TEST_F(SqliteStoreTest, RetentionHoldsItsBoundWhileIngestNeverStops) {
    SqliteOptions options;
    options.sync = true;  // a commit per group of appends: many commits of varying size
    options.retention_entries = 100;
    options.retention_step = 10;
    auto store = open(options);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "smartlog.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    // Callbacks run on the storage thread one at a time, right after their commit.
    std::map<std::string, std::int64_t> peak;
    std::vector<std::string> errors;
    auto count_rows = [&](const std::string& app) {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(
            db, "SELECT count(*) FROM entries e JOIN apps a ON a.key = e.app WHERE a.name = ?", -1,
            &s, nullptr);
        sqlite3_bind_text(s, 1, app.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(s);
        peak[app] = std::max<std::int64_t>(peak[app], sqlite3_column_int64(s, 0));
        sqlite3_finalize(s);
    };
    std::promise<void> last;
    const int rounds = 150;
    for (int i = 0; i < rounds; ++i) {
        for (const std::string app : {"a", "b"}) {
            const int n = app == "a" ? 7 : 23;
            store->append(entries(app, n, app + std::to_string(i) + "-"),
                          [&, app, i](std::error_code ec) {
                              if (ec) errors.push_back(ec.message());
                              count_rows(app);
                              if (i == rounds - 1 && app == "b") last.set_value();
                          });
        }
    }
    last.get_future().wait();
    sqlite3_close(db);
    EXPECT_TRUE(errors.empty());
    EXPECT_LE(peak["a"], 100);
    EXPECT_LE(peak["b"], 100);
    EXPECT_EQ(peak["b"], 100);  // it did reach the bound: 3,450 entries went in
    auto newest = query(*store, [&] {
        Query q;
        q.app_id = "a";
        q.limit = 1000;
        return q;
    }());
    ASSERT_EQ(newest.entries.size(), 100u);
    EXPECT_EQ(newest.entries.front()->message(), "a149-6");
    EXPECT_EQ(store->stats().entries_removed, static_cast<std::uint64_t>(rounds * (7 + 23) - 200));
}

TEST_F(SqliteStoreTest, AQuerySeesEveryEntryAppendedBeforeItWithoutWaitingForTheBatchDeadline) {
    SqliteOptions options;
    options.commit_interval = std::chrono::hours(1);  // only a waiting query makes it commit
    auto store = open(options);
    store->append(entries("a", 3), [](std::error_code) {});
    EXPECT_EQ(messages(query(*store,
                             [&] {
                                 Query q;
                                 q.app_id = "a";
                                 return q;
                             }())),
              (std::vector<std::string>{"m2", "m1", "m0"}));
}

TEST_F(SqliteStoreTest, AQueryPastItsTimeBudgetEndsWithTimedOut) {
    SqliteOptions options;
    options.query_timeout = std::chrono::milliseconds(0);  // ends at its first look at the clock
    auto store = open(options);
    ASSERT_FALSE(append(*store, entries("a", 3000)));
    // No entry has this level: the query walks every entry of the app.
    EXPECT_EQ(query_error(*store,
                          [&] {
                              Query q;
                              q.app_id = "a";
                              q.filter.levels = {"fatal"};
                              return q;
                          }()),
              std::make_error_code(std::errc::timed_out));
    EXPECT_EQ(store->stats().queries_timed_out, 1u);
    // A failed read changes nothing: the store stays healthy and writes go on.
    EXPECT_TRUE(store->healthy());
    EXPECT_FALSE(append(*store, entries("a", 1)));
}

TEST_F(SqliteStoreTest, ASearchOfOneOrTwoCharactersIsRefused) {
    auto store = open();
    ASSERT_FALSE(append(*store, entries("a", 3)));
    for (std::string search : {"m", "m1", "\xC3\xA9t"}) {
        EXPECT_EQ(query_error(*store,
                              [&] {
                                  Query q;
                                  q.app_id = "a";
                                  q.filter.search = search;
                                  return q;
                              }()),
                  std::make_error_code(std::errc::invalid_argument))
            << search;
    }
    EXPECT_EQ(query(*store,
                    [&] {
                        Query q;
                        q.app_id = "a";
                        q.filter.search = "\xC3\xA9t\xC3\xA9";
                        return q;
                    }())
                  .entries.size(),
              0u);
}

TEST_F(SqliteStoreTest, WritesCommitWhileEveryReaderIsBusy) {
    SqliteOptions options;
    options.sync = true;
    options.query_threads = 2;
    auto store = open(options);
    // Two long reads, one per reader, held in their callbacks.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> entered[2];
    for (int i = 0; i < 2; ++i) {
        Query q;
        q.app_id = i == 0 ? "x" : "y";
        store->query(q, [&entered, released, i](std::error_code, QueryResult) {
            entered[i].set_value();
            released.wait();
        });
    }
    entered[0].get_future().wait();
    entered[1].get_future().wait();
    // sync: done runs only once committed.
    EXPECT_FALSE(append(*store, entries("a", 5)));
    EXPECT_EQ(store->stats().entries_written, 5u);
    release.set_value();
    store->close();  // the readers leave their callbacks before the promises go
}

TEST_F(SqliteStoreTest, OneAppsQueriesNeverHoldEveryReader) {
    SqliteOptions options;
    options.query_threads = 2;
    auto store = open(options);
    ASSERT_FALSE(append(*store, entries("a", 3)));
    ASSERT_FALSE(append(*store, entries("b", 2)));
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> a_done{0};
    store->query(
        [&] {
            Query q;
            q.app_id = "a";
            return q;
        }(),
        [&](std::error_code, QueryResult) {
            entered.set_value();
            released.wait();
            ++a_done;
        });
    entered.get_future().wait();
    // More of app a's queries wait for its first; app b's runs on the other reader meanwhile.
    std::promise<void> all_a;
    for (int i = 0; i < 3; ++i) {
        store->query(
            [&] {
                Query q;
                q.app_id = "a";
                return q;
            }(),
            [&](std::error_code ec, QueryResult r) {
                EXPECT_FALSE(ec);
                EXPECT_EQ(r.entries.size(), 3u);
                if (++a_done == 4) all_a.set_value();
            });
    }
    EXPECT_EQ(query(*store,
                    [&] {
                        Query q;
                        q.app_id = "b";
                        return q;
                    }())
                  .entries.size(),
              2u);
    EXPECT_EQ(a_done.load(), 0);
    release.set_value();
    all_a.get_future().wait();
}

TEST_F(SqliteStoreTest, CloseCancelsQueriesNotStarted) {
    SqliteOptions options;
    options.query_threads = 1;
    auto store = open(options);
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    store->query(
        [&] {
            Query q;
            q.app_id = "a";
            return q;
        }(),
        [&](std::error_code, QueryResult) {
            entered.set_value();
            released.wait();
        });
    entered.get_future().wait();
    std::promise<std::error_code> second;
    store->query(
        [&] {
            Query q;
            q.app_id = "b";
            return q;
        }(),
        [&](std::error_code ec, QueryResult) { second.set_value(ec); });
    std::thread closer([&] { store->close(); });
    EXPECT_EQ(second.get_future().get(), std::make_error_code(std::errc::operation_canceled));
    release.set_value();
    closer.join();
}

}  // namespace
}  // namespace smartlog::storage

// storage/sqlite_store.hpp: the durable store of `durability = "batch" | "sync"` (docs/storage.md):
// SQLite in WAL mode at data_dir/smartlog.db, see docs/storage.md.
// Thread rule: the public methods may be called from any one thread (the net thread). The
// constructor starts one storage thread, which owns the only writing SQLite connection and does
// every write, and `query_threads` reader threads, each with a read-only connection of its own
// (WAL lets them read beside the writer). Callers never wait for them except in the
// constructor, load_recent and close.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "storage/dir_lock.hpp"
#include "storage/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace smartlog::storage {

// What the constructor checks before it touches an existing database (docs/storage.md).
enum class StartupCheck {
    none,   // reads the header and the schema only
    quick,  // PRAGMA quick_check: every page's structure, O(size); about 0.6 s CPU per 450 MB
    full,   // PRAGMA integrity_check: also every index against its table; several times slower
};

struct SqliteOptions {
    std::filesystem::path data_dir;  // created if missing; locked for the store's life (DirLock)
    // sync: every group of appends is committed (synchronous=FULL) before its `done` runs.
    // batch: appends are committed at most `commit_interval` after the first of a group.
    bool sync = false;
    std::chrono::milliseconds commit_interval{50};
    std::uint64_t retention_entries = 100'000;  // per app
    std::chrono::milliseconds retention_age{7ll * 24 * 3600 * 1000};  // by arrival time
    std::chrono::milliseconds retention_interval{1000};  // how often retention looks for work
    // Rows deleted per step. Under ingest, each commit also deletes what it added to an app at
    // its bound, so retention keeps pace with any ingest rate (docs/storage.md).
    std::size_t retention_step = 2000;
    // The queue's high-water mark: backlogged() is true from here until half of it is left.
    // append never refuses for it; the server stops admitting instead. About 125 MB of entries
    // at 500 bytes each, several seconds of the storage thread's work.
    std::uint64_t max_queued_entries = 250'000;
    // Each query may run this long; then it ends with std::errc::timed_out. Zero: it ends at
    // the first check, after a few thousand SQLite steps (for tests).
    std::chrono::milliseconds query_timeout{2000};
    // Reader threads, each with its own read-only connection. An app has at most one query
    // running at a time, so with two or more one app's queries never hold every reader.
    std::size_t query_threads = 2;  // REQUIRES: > 0
    // Called with every storage error, recovery and backlog change, on the store's threads
    // (several at once, and while the caller's own thread calls the store): it must be
    // thread-safe, quick, and must not call the store. May be empty.
    std::function<void(const StoreEvent&)> on_event;
    StartupCheck check = StartupCheck::quick;
    // When > 0, the constructor also reads the newest `preload_per_app` entries of every app,
    // while the start-up check runs on another thread, and keeps them for the first
    // load_recent(preload_per_app) (smartlogd sets its history_limit: the restart of docs/performance.md).
    std::size_t preload_per_app = 0;
    // How load_recent reads (docs/storage.md, "Restart"): automatic picks one scan of the
    // table in seq order when it holds at most about twice what is wanted, else one index
    // query per app. The other values force a way, for tests.
    enum class RestoreRead { automatic, scan, per_app } restore_read = RestoreRead::automatic;
};

class SqliteStore final : public Store {
public:
    // Locks data_dir, opens or creates the database and starts the store's threads. `clock`
    // gives the time for retention_age; it must outlive the store and be safe to read from the
    // storage thread. Throws std::runtime_error, one line, when another process holds
    // data_dir (naming it), or the database cannot be opened, was written by a newer schema,
    // or is damaged (`options.check`); a damaged database is left untouched and the message
    // names it and says how to proceed.
    SqliteStore(SqliteOptions options, const core::Clock& clock);
    ~SqliteStore() override;  // close()

    void append(std::vector<core::EntryPtr> entries, Done done) override;
    void clear(const std::string& app_id, Done done) override;
    // The entries it returns have an empty Entry::metadata: their `encoded` text holds it,
    // and a restored entry is never stored again.
    std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> load_recent(
        std::size_t per_app) override;
    void query(Query q, QueryDone done) override;
    bool healthy() const override;
    std::string health_message() const override;
    bool backlogged() const override;
    StoreStats stats() const override;
    void close() override;

    // Runs retention until nothing is left to remove. Blocking; for tests and tools.
    void run_retention();
    // Whether `q` searches use the FTS5 trigram index (else a scan with LIKE).
    bool full_text() const noexcept { return has_fts_; }

    static constexpr int kSchemaVersion = 1;

private:
    struct Job {
        std::function<void()> run;
        std::size_t entries = 0;  // appended entries, for the queue bound
        std::uint64_t ticket = 0;  // writes (append, clear): their place in call order; else 0
    };
    struct QueryJob {
        Query query;
        QueryDone done;
        std::uint64_t ticket = 0;  // runs once every write up to this ticket is settled
    };
    struct Reader;
    struct AppState {
        std::int64_t key = 0;
        std::int64_t floor = 0;   // entries with seq <= floor were cleared
        std::int64_t count = -1;  // entries kept above the floor; -1: not counted yet
        bool purge = false;       // rows at or below the floor may remain on disk
    };

    using Loaded = std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>;

    void open();
    // The check of `options_.check` through its own connection; "" when it finds nothing.
    // Thread-safe: it touches no member but options_.
    std::string run_check(const std::string& path) const;
    // The newest `per_app` entries of every app in apps_, oldest first (load_recent). Reads
    // through db_ and one more read-only connection on a helper thread.
    Loaded read_recent(std::size_t per_app);
    std::string refusal(const std::string& path, const std::string& why) const;
    const char* check_name() const;
    void set_connection_pragmas(sqlite3* db);
    bool has_table(const char* name);
    bool has_schema();
    // Refuses a database of a newer schema version.
    void read_schema(const std::string& path);
    void create_schema();
    void prepare_statements();
    void thread_main();
    void post(Job job);
    // Runs `fn` on the storage thread and waits for it.
    void run_and_wait(std::function<void()> fn);

    void do_append(const std::vector<core::EntryPtr>& entries, Done done);
    void do_clear(const std::string& app_id, Done done);
    // Reader threads: each runs the ready query of the app served longest ago.
    void reader_main(Reader& reader);
    // REQUIRES: mu_ held. Takes the next query that may run now, if any.
    std::optional<QueryJob> take_query();
    void do_query(Reader& reader, QueryJob& job);
    QueryResult run_query(sqlite3* db, const Query& q);
    // Every write up to `ticket` is committed or failed: queries waiting for it may run.
    void settle(std::uint64_t ticket);
    // Stops the readers; queries not started fail with operation_canceled.
    void stop_readers();
    void clear_app(AppState& app);
    void load_apps();
    // Rolls back the open transaction and forgets what it changed in memory.
    void rollback();
    void begin_if_needed();
    void commit();
    // One step of retention, deleting at most `limit` rows, inside the open write transaction
    // when there is one, else in a transaction of its own. False when there was nothing to do.
    // Adds what it deleted to `removed`.
    bool retention_step(std::int64_t limit, std::uint64_t& removed);
    // Before a commit: retention inside the transaction, up to what it added plus one step,
    // so that an app at its bound stays there whatever the ingest rate. A failure here only
    // undoes the retention, unless SQLite gave up the whole transaction: then it returns the
    // error code to fail the commit with; else 0.
    int retain_before_commit();
    void emit(StoreEvent::Kind kind, std::string message);
    // The writer's side of backlogged(): tells on_event when a backlog starts and ends.
    void report_backlog();
    AppState& app_state(const std::string& app_id);

    void exec(const char* sql);
    // Records an error for /readyz. A disk error (full, I/O: `code` says) is cleared by the next
    // successful commit; any other error stays until restart.
    void fail(const std::string& what, int code);
    // A commit succeeded: clears a disk error.
    void recovered();
    // While a disk error is set: one tiny write transaction, so an idle store recovers too.
    void probe();

    SqliteOptions options_;
    const core::Clock& clock_;
    DirLock lock_;  // taken before the database is opened, released after it is closed
    bool has_fts_ = false;

    // Storage thread only (and the constructor, before the thread starts).
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
    sqlite3_stmt* insert_app_ = nullptr;
    sqlite3_stmt* insert_fts_ = nullptr;  // null without the search index
    std::unordered_map<std::string, AppState> apps_;
    // What the constructor read for preload_per_app; dropped by the first write.
    std::optional<Loaded> preloaded_;
    bool in_txn_ = false;
    std::chrono::steady_clock::time_point txn_started_;
    std::vector<std::pair<Done, std::size_t>> pending_;  // run after the next commit
    std::size_t pending_entries_ = 0;
    std::chrono::steady_clock::time_point next_retention_;
    bool retention_active_ = false;
    bool over_keep_ = false;  // an append took an app over retention_entries
    bool retry_writes_ = false;  // a disk error is set: probe() until a commit succeeds
    std::uint64_t txn_last_ticket_ = 0;  // the last write in the open transaction
    std::uint64_t txn_removed_ = 0;      // rows retention deleted in the open transaction
    bool backlog_reported_ = false;

    // Shared between the threads.
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool closing_ = false;
    std::string health_;             // the last error; empty: healthy
    bool health_permanent_ = false;  // health_ is not a disk error: kept until restart
    StoreStats stats_;
    std::atomic<std::uint64_t> queued_entries_{0};
    std::atomic<bool> backlogged_{false};  // under mu_ when written
    std::uint64_t writes_posted_ = 0;    // tickets handed to write jobs
    std::uint64_t writes_settled_ = 0;   // every write up to this ticket is committed or failed
    std::uint64_t query_ticket_max_ = 0;  // the newest ticket a query waits for
    // Queries not started, per app, and the apps in the order they are served (round robin).
    std::unordered_map<std::string, std::deque<QueryJob>> query_queues_;
    std::deque<std::string> query_order_;
    std::unordered_set<std::string> query_running_;  // apps whose query a reader runs
    bool readers_stop_ = false;
    std::condition_variable reader_cv_;
    std::vector<std::unique_ptr<Reader>> readers_;
    std::thread thread_;
};

}  // namespace smartlog::storage

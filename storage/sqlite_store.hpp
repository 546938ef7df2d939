// storage/sqlite_store.hpp: the durable store of `durability = "batch" | "sync"` (docs/storage.md):
// SQLite in WAL mode at data_dir/smartlog.db, see docs/storage.md.
// Thread rule: the public methods may be called from any one thread (the net thread); one
// storage thread, started by the constructor, owns the only SQLite connection and does all the
// work. Callers never wait for it except in the constructor, load_recent and close.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/clock.hpp"
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
    std::filesystem::path data_dir;  // created if missing
    // sync: every group of appends is committed (synchronous=FULL) before its `done` runs.
    // batch: appends are committed at most `commit_interval` after the first of a group.
    bool sync = false;
    std::chrono::milliseconds commit_interval{50};
    std::uint64_t retention_entries = 100'000;  // per app
    std::chrono::milliseconds retention_age{7ll * 24 * 3600 * 1000};  // by arrival time
    std::chrono::milliseconds retention_interval{1000};  // how often retention looks for work
    std::size_t retention_step = 2000;  // rows deleted per transaction, so ingest never waits long
    // Beyond this, appends fail at once: about 125 MB of entries at 500 bytes each, several
    // seconds of the storage thread's work.
    std::uint64_t max_queued_entries = 250'000;
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
    // Opens or creates the database and starts the storage thread. `clock` gives the time for
    // retention_age; it must outlive the store and be safe to read from the storage thread.
    // Throws std::runtime_error when the database cannot be opened, was written by a newer
    // schema, or is damaged (`options.check`); a damaged database is left untouched and the
    // message, one line, names it and says how to proceed.
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
    };
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
    void do_query(const Query& q, const QueryDone& done);
    QueryResult run_query(const Query& q);
    void clear_app(AppState& app);
    void load_apps();
    // Rolls back the open transaction and forgets what it changed in memory.
    void rollback();
    void begin_if_needed();
    void commit();
    // One small step of retention; false when there was nothing to do.
    bool retention_step();
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
    bool retry_writes_ = false;  // a disk error is set: probe() until a commit succeeds

    // Shared between the threads.
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool closing_ = false;
    bool closed_ = false;
    std::string health_;             // the last error; empty: healthy
    bool health_permanent_ = false;  // health_ is not a disk error: kept until restart
    StoreStats stats_;
    std::atomic<std::uint64_t> queued_entries_{0};
    std::thread thread_;
};

}  // namespace smartlog::storage

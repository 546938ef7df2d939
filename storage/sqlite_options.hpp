// storage/sqlite_options.hpp: what SqliteStore is configured with (docs/storage.md); every part
// of the store reads its share of it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "storage/store.hpp"

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
    std::uint64_t retention_entries = 100'000;                        // per app
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
    // load_recent(preload_per_app) (smartlogd sets its history_limit: the restart of
    // docs/performance.md).
    std::size_t preload_per_app = 0;
    // With preload_per_app: read them after the check instead, on a thread of the store, while
    // the caller goes on; load_recent_async hands them over (smartlogd on a single node: it
    // serves while the histories load, docs/performance.md "Restart").
    bool preload_in_background = false;
    // How load_recent reads (docs/storage.md, "Restart"): automatic picks one scan of the
    // table in seq order when it holds at most about twice what is wanted, else one index
    // query per app. The other values force a way, for tests.
    enum class RestoreRead { automatic, scan, per_app } restore_read = RestoreRead::automatic;
    // Cluster mode: an entry whose id its app holds already is not stored again. Every node
    // writes what the bus delivers, and the bus's ids are the same on every node for the same
    // (app, epoch, offset) (docs/cluster.md, "Storage"), so a batch delivered twice (a read
    // after a restart overlapping what was stored) stays one copy. Costs one index probe per
    // entry.
    bool skip_known_ids = false;
};

}  // namespace smartlog::storage

// storage/sqlite_store.hpp: the durable store of `durability = "batch" | "sync"` (docs/storage.md):
// SQLite in WAL mode at data_dir/smartlog.db. A composition of plain parts (sqlite_schema,
// sqlite_writer, sqlite_restore, sqlite_retention, sqlite_query) driven by threads that own
// them: the StoreWorker's thread owns the only writing connection and does every write;
// QueryReaders' `query_threads` reader threads each own a read-only connection (WAL lets them
// read beside the writer).
// Thread rule: the public methods may be called from any one thread (the net thread). Callers
// never wait for the store's threads except in the constructor, load_recent and close (and
// load_recent_async when it cannot hand over a preload).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "storage/dir_lock.hpp"
#include "storage/sqlite_options.hpp"
#include "storage/store.hpp"
#include "storage/store_status.hpp"

namespace smartlog::storage {

class SqliteWriter;
class StoreWorker;
class QueryReaders;

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
    // Each entry comes from its row's `encoded` text (core::entry_from_encoded).
    Histories load_recent(std::size_t per_app) override;
    // With SqliteOptions::preload_in_background, hands over what the store reads after the
    // check (from the reading thread once it is done, else at once); otherwise, or when
    // `per_app` is not preload_per_app, reads now, blocking.
    void load_recent_async(std::size_t per_app, Loaded done) override;
    std::vector<std::string> stored_apps() const override;
    void query(Query q, QueryDone done) override;
    bool healthy() const override;
    std::string health_message() const override;
    bool backlogged() const override;
    StoreStats stats() const override;
    void close() override;

    // Runs retention until nothing is left to remove. Blocking; for tests and tools.
    void run_retention();
    // Whether `q` searches use the FTS5 trigram index (else a scan with LIKE).
    bool full_text() const noexcept { return full_text_; }

private:
    // The loading thread (preload_in_background), with what it read: hands it to
    // load_recent_async's caller if that waits already, else keeps it for the call.
    void finish_preload(Histories read, std::error_code ec);
    void hand_over_preload(Loaded done);
    // Worker thread: the backlog's start and end, to on_event.
    void report_backlog();

    SqliteOptions options_;
    DirLock lock_;  // taken before the database is opened, released after it is closed
    StoreStatus status_;
    bool full_text_ = false;
    std::unique_ptr<SqliteWriter> writer_;
    std::unique_ptr<QueryReaders> readers_;
    std::unique_ptr<StoreWorker> worker_;

    std::vector<std::string> app_names_;  // stored_apps()
    // What was read for preload_per_app (in the constructor or on loader_), under load_mu_;
    // for load_recent, good until the writer's first write.
    std::thread loader_;
    std::mutex load_mu_;
    std::optional<Histories> preloaded_;
    std::error_code preload_error_;
    bool preload_finished_ = false;
    Loaded load_waiter_;             // load_recent_async's callback, while loader_ reads
    bool backlog_reported_ = false;  // worker thread

    // The caller's side.
    std::mutex mu_;
    bool closing_ = false;
    std::uint64_t writes_posted_ = 0;  // tickets handed to write jobs
    std::atomic<std::uint64_t> queued_entries_{0};
    std::atomic<bool> backlogged_{false};  // under mu_ when written
};

}  // namespace smartlog::storage

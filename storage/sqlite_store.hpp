// storage/sqlite_store.hpp: the durable store of `durability = "batch" | "sync"` (docs/storage.md):
// SQLite in WAL mode at data_dir/smartlog.db. A composition of plain parts (sqlite_schema,
// sqlite_writer, sqlite_restore, sqlite_retention, sqlite_query) driven by threads that own
// them: the StoreWorker's thread owns the only writing connection and does every write;
// QueryReaders' `query_threads` reader threads each own a read-only connection (WAL lets them
// read beside the writer).
// Thread rule: the public methods may be called from any one thread (the net thread). Callers
// never wait for the store's threads except in the constructor, load_recent and close.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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
    bool full_text() const noexcept { return full_text_; }

private:
    using Histories = std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>;

    // Worker thread: the backlog's start and end, to on_event.
    void report_backlog();

    SqliteOptions options_;
    DirLock lock_;  // taken before the database is opened, released after it is closed
    StoreStatus status_;
    bool full_text_ = false;
    std::unique_ptr<SqliteWriter> writer_;
    std::unique_ptr<QueryReaders> readers_;
    std::unique_ptr<StoreWorker> worker_;

    // The constructor, then the worker thread: what it read for preload_per_app, good until
    // the writer's first write.
    std::optional<Histories> preloaded_;
    bool backlog_reported_ = false;  // worker thread

    // The caller's side.
    std::mutex mu_;
    bool closing_ = false;
    std::uint64_t writes_posted_ = 0;  // tickets handed to write jobs
    std::atomic<std::uint64_t> queued_entries_{0};
    std::atomic<bool> backlogged_{false};  // under mu_ when written
};

}  // namespace smartlog::storage

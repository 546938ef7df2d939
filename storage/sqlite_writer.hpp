// storage/sqlite_writer.hpp: the only writing connection: appends and clears join one open
// transaction, commit() ends it (running the retention due inside it) and then the `done` of
// every write in it; a failed statement or commit rolls back and fails them (docs/storage.md,
// "Faults"). Plain and synchronous: it never starts a thread nor looks at a timer; the caller
// (StoreWorker) decides when to commit. One thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "storage/sqlite_common.hpp"
#include "storage/sqlite_options.hpp"
#include "storage/sqlite_retention.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/store.hpp"
#include "storage/store_status.hpp"

namespace smartlog::storage {

class SqliteWriter {
public:
    using steady = std::chrono::steady_clock;

    // Takes `opened.db` (closing it when destroyed). `status` and `clock` outlive it. Throws
    // SqliteError when a statement cannot be prepared (then `opened.db` is closed).
    // `skip_known_ids`: SqliteOptions::skip_known_ids.
    SqliteWriter(OpenedDatabase opened, RetentionRules rules, const core::Clock& clock,
                 StoreStatus& status, bool skip_known_ids = false);
    ~SqliteWriter();
    SqliteWriter(const SqliteWriter&) = delete;
    SqliteWriter& operator=(const SqliteWriter&) = delete;

    // Inserts `entries` (one app, arrival order) in the open transaction (begun if needed);
    // `done` runs after the commit that ends it, or now with the error when the insert fails.
    void append(const std::vector<core::EntryPtr>& entries, Store::Done done);
    // Hides every entry of `app_id` stored so far (a floor on seq); `done` as for append.
    void clear(const std::string& app_id, Store::Done done);
    // Ends the open transaction, if any: retention due inside it, COMMIT, the figures, then
    // every waiting `done` (with the error when it failed).
    void commit();
    bool in_transaction() const noexcept { return in_txn_; }
    steady::time_point transaction_started() const noexcept { return txn_started_; }

    // One retention step between transactions, in a transaction of its own; an error is
    // recorded, not thrown. False when there is nothing left: retention rests (retention()).
    // REQUIRES: !in_transaction().
    bool retention_step();
    // Retention steps until nothing is left. REQUIRES: !in_transaction().
    void run_retention();
    SqliteRetention& retention() noexcept { return retention_; }

    // A disk error is set: writes should be retried (probe) until one succeeds.
    bool retrying() const noexcept { return retry_writes_; }
    // The smallest real write, so that an idle store notices the disk came back.
    void probe();
    // Leaves a short WAL, so that the next start reads one file.
    void checkpoint();
    // Write transactions begun so far: what was read before may be stale once it moves.
    std::uint64_t writes() const noexcept { return transactions_ + retention_.transactions(); }
    // The newest `per_app` entries of every app, oldest first (sqlite_restore.hpp); sees only
    // what is committed on its helper connection. REQUIRES: !in_transaction().
    Histories read_recent(const std::string& path, std::size_t per_app,
                          SqliteOptions::RestoreRead how);
    bool full_text() const noexcept { return full_text_; }
    // At destruction, close without checkpointing (a store that failed to start).
    void abandon() noexcept { abandoned_ = true; }
    // Records an error for /readyz. A disk error (`code` says) is cleared by the next
    // successful commit; any other error stays until restart.
    void fail(const std::string& what, int code);

private:
    void prepare_statements();
    AppState& app_state(const std::string& app_id);
    void begin_if_needed();
    // Rolls back the open transaction and forgets what it changed in memory.
    void rollback();
    // Before a commit: retention inside the transaction, up to what it added plus one step,
    // so that an app at its bound stays there whatever the ingest rate. A failure here only
    // undoes the retention, unless SQLite gave up the whole transaction: then it returns the
    // error code to fail the commit with; else 0.
    int retain_before_commit();
    // A commit succeeded: clears a disk error.
    void recovered();

    sqlite3* db_;
    bool full_text_;
    bool skip_known_ids_;
    AppTable apps_;
    StoreStatus& status_;
    SqliteRetention retention_;
    sqlite3_stmt* insert_ = nullptr;
    sqlite3_stmt* insert_app_ = nullptr;
    sqlite3_stmt* insert_fts_ = nullptr;  // null without the search index
    std::string message_scratch_;         // the text of an escaped message, for the index
    bool in_txn_ = false;
    steady::time_point txn_started_;
    std::vector<std::pair<Store::Done, std::size_t>> pending_;  // run after the next commit
    std::size_t pending_entries_ = 0;
    std::uint64_t txn_removed_ = 0;  // rows retention deleted in the open transaction
    bool retry_writes_ = false;      // a disk error is set: probe() until a commit succeeds
    std::uint64_t transactions_ = 0;
    bool abandoned_ = false;
};

}  // namespace smartlog::storage

// storage/sqlite_writer.cpp: appends, clears and commits on the writing connection
// (docs/storage.md).
#include "storage/sqlite_writer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>

#include "core/id_generator.hpp"
#include "storage/sqlite_restore.hpp"

namespace smartlog::storage {

namespace {

void bind_text(sqlite3_stmt* stmt, int i, std::string_view v) {
    // SQLITE_STATIC: the entry outlives the statement's step.
    sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

}  // namespace

SqliteWriter::SqliteWriter(OpenedDatabase opened, RetentionRules rules, const core::Clock& clock,
                           StoreStatus& status, bool skip_known_ids)
    : db_(opened.db),
      full_text_(opened.full_text),
      skip_known_ids_(skip_known_ids),
      apps_(std::move(opened.apps)),
      status_(status),
      retention_(db_, apps_, rules, clock) {
    try {
        prepare_statements();
    } catch (...) {
        sqlite3_finalize(insert_);
        sqlite3_finalize(insert_app_);
        sqlite3_finalize(insert_fts_);
        close_without_checkpoint(db_);
        throw;
    }
}

SqliteWriter::~SqliteWriter() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(insert_app_);
    sqlite3_finalize(insert_fts_);
    if (abandoned_) {
        close_without_checkpoint(db_);
    } else {
        sqlite3_close(db_);
    }
}

void SqliteWriter::prepare_statements() {
    register_entry_functions(db_);
    // The probe reads entries_by_app(app, id), the index every app query uses.
    const char* const insert =
        skip_known_ids_ ? "INSERT INTO entries(app, id, received, ts, level, encoded) "
                          "SELECT ?1, ?2, ?3, ?4, ?5, ?6 "
                          "WHERE NOT EXISTS (SELECT 1 FROM entries WHERE app = ?1 AND id = ?2)"
                        : "INSERT INTO entries(app, id, received, ts, level, encoded) "
                          "VALUES (?, ?, ?, ?, ?, ?)";
    check(db_, sqlite3_prepare_v2(db_, insert, -1, &insert_, nullptr), "sqlite prepare");
    check(db_,
          sqlite3_prepare_v2(db_, "INSERT INTO apps(name) VALUES (?)", -1, &insert_app_, nullptr),
          "sqlite prepare");
    if (full_text_) {
        create_fts_delete_trigger(db_);
        check(db_,
              sqlite3_prepare_v2(db_, "INSERT INTO entries_fts(rowid, message) VALUES (?, ?)", -1,
                                 &insert_fts_, nullptr),
              "sqlite prepare");
    }
}

AppState& SqliteWriter::app_state(const std::string& app_id) {
    auto it = apps_.find(app_id);
    if (it != apps_.end()) return it->second;
    sqlite3_reset(insert_app_);
    bind_text(insert_app_, 1, app_id);
    check(db_, sqlite3_step(insert_app_), "sqlite insert app");
    AppState& a = apps_[app_id];
    a.key = sqlite3_last_insert_rowid(db_);
    a.count = 0;
    return a;
}

void SqliteWriter::begin_if_needed() {
    if (in_txn_) return;
    ++transactions_;
    exec(db_, "BEGIN");
    in_txn_ = true;
    txn_started_ = steady::now();
}

void SqliteWriter::rollback() {
    exec_quietly(db_, "ROLLBACK");
    in_txn_ = false;
    // Apps created and floors raised in the transaction are gone with it; counts are unknown.
    try {
        apps_ = load_apps(db_);
    } catch (const std::exception& e) {
        fail(e.what(), code_of(e));
    }
    retention_.wake();
}

void SqliteWriter::append(const std::vector<core::EntryPtr>& entries, Store::Done done) {
    if (entries.empty()) return done({});
    try {
        begin_if_needed();
        AppState& app = app_state(std::string(entries.front()->app_id()));
        std::size_t added = 0;
        for (const auto& e : entries) {
            sqlite3_reset(insert_);
            sqlite3_bind_int64(insert_, 1, app.key);
            bind_text(insert_, 2, e->id());
            sqlite3_bind_int64(insert_, 3, core::IdGenerator::timestamp_of(e->id()));
            sqlite3_bind_int64(insert_, 4, e->timestamp());
            bind_text(insert_, 5, e->level());
            bind_text(insert_, 6, e->encoded());
            check(db_, sqlite3_step(insert_), "sqlite insert");
            if (skip_known_ids_ && sqlite3_changes(db_) == 0) continue;  // stored already
            ++added;
            if (insert_fts_) {
                sqlite3_reset(insert_fts_);
                sqlite3_bind_int64(insert_fts_, 1, sqlite3_last_insert_rowid(db_));
                // The text smartlog_message() gives the delete trigger: the index's rows and
                // their deletions agree byte for byte.
                bind_text(insert_fts_, 2, e->message(message_scratch_));
                check(db_, sqlite3_step(insert_fts_), "sqlite insert into the search index");
            }
        }
        sqlite3_clear_bindings(insert_);
        retention_.added(app, added);
        pending_.emplace_back(std::move(done), entries.size());
        pending_entries_ += entries.size();
    } catch (const std::exception& e) {
        // The statement failed inside the transaction: it may hold part of this batch, so
        // roll back everything not yet committed and tell every waiting caller.
        fail(e.what(), code_of(e));
        rollback();
        const std::size_t lost = pending_entries_ + entries.size();
        status_.update([lost](StoreStats& s) { s.entries_failed += lost; });
        const auto error = caller_error(code_of(e));
        auto pending = std::move(pending_);
        pending_.clear();
        pending_entries_ = 0;
        for (auto& [d, n] : pending) d(error);
        done(error);
    }
}

void SqliteWriter::clear(const std::string& app_id, Store::Done done) {
    auto it = apps_.find(app_id);
    if (it == apps_.end()) return done({});
    AppState& app = it->second;
    try {
        // Everything stored so far, this app's included, has a seq at most max(seq): raising
        // the floor there hides them at once; retention deletes the rows in small steps later.
        begin_if_needed();
        Stmt s(db_,
               "UPDATE apps SET floor = (SELECT coalesce(max(seq), 0) FROM entries) WHERE key = ? "
               "RETURNING floor");
        s.bind(1, app.key);
        if (s.step()) app.floor = s.int64(0);
    } catch (const std::exception& e) {
        fail(e.what(), code_of(e));
        rollback();
        return done(caller_error(code_of(e)));
    }
    app.count = 0;
    app.purge = true;
    retention_.wake();
    pending_.emplace_back(std::move(done), 0);
}

void SqliteWriter::commit() {
    if (!in_txn_) return;
    const int lost = retain_before_commit();
    in_txn_ = false;
    const auto started = steady::now();
    std::error_code result;
    if (lost) {
        rollback();
        result = caller_error(lost);
    } else if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        const int code = sqlite3_extended_errcode(db_);
        fail(std::string("commit: ") + sqlite3_errmsg(db_), code);
        rollback();
        result = caller_error(code);
    } else {
        recovered();
    }
    const double seconds = std::chrono::duration<double>(steady::now() - started).count();
    status_.update([&](StoreStats& s) {
        ++s.commits;
        if (!result) {
            s.entries_written += pending_entries_;
            s.entries_removed += txn_removed_;
        } else {
            s.entries_failed += pending_entries_;
        }
        s.commit_seconds_sum += seconds;
        for (std::size_t i = 0; i < std::size(StoreStats::kCommitBuckets); ++i) {
            if (seconds <= StoreStats::kCommitBuckets[i]) ++s.commit_buckets[i];
        }
    });
    txn_removed_ = 0;
    auto pending = std::move(pending_);
    pending_.clear();
    pending_entries_ = 0;
    for (auto& [done, n] : pending) done(result);
}

int SqliteWriter::retain_before_commit() {
    const auto now = steady::now();
    if (!retention_.due(now)) return 0;
    // What this transaction added, plus one step to catch up: an app at its bound stays there
    // at every commit, and a backlog of deletions shrinks by a step each time.
    std::int64_t budget = static_cast<std::int64_t>(pending_entries_ + retention_.rules().step);
    std::uint64_t removed = 0;
    try {
        exec(db_, "SAVEPOINT retention");
        bool worked = true;
        // Counting an app costs a step and deletes nothing: a few per commit at most.
        for (int steps = 0; worked && budget > 0 && steps < 8; ++steps) {
            const std::uint64_t before = removed;
            worked = retention_.step(budget, removed, false);
            budget -= std::max<std::int64_t>(1, static_cast<std::int64_t>(removed - before));
        }
        exec(db_, "RELEASE retention");
        if (worked) {
            retention_.wake();
        } else {
            retention_.rest(now);
        }
        txn_removed_ += removed;
    } catch (const std::exception& e) {
        fail(std::string("retention: ") + e.what(), code_of(e));
        // Some errors make SQLite give up the whole transaction: the appends in it are lost.
        if (sqlite3_get_autocommit(db_) != 0) return code_of(e);
        exec_quietly(db_, "ROLLBACK TO retention");
        exec_quietly(db_, "RELEASE retention");
        // The counts moved with the deletions just undone.
        for (auto& [name, app] : apps_) app.count = -1;
        retention_.wake();
    }
    return 0;
}

bool SqliteWriter::retention_step() {
    bool worked = false;
    std::uint64_t removed = 0;
    try {
        worked = retention_.step(static_cast<std::int64_t>(retention_.rules().step), removed, true);
    } catch (const std::exception& e) {
        fail(std::string("retention: ") + e.what(), code_of(e));
        if (sqlite3_get_autocommit(db_) == 0) rollback();
        removed = 0;
    }
    if (removed) status_.update([removed](StoreStats& s) { s.entries_removed += removed; });
    if (!worked) retention_.rest(steady::now());
    return worked;
}

void SqliteWriter::run_retention() {
    std::uint64_t removed = 0;
    while (retention_.step(static_cast<std::int64_t>(retention_.rules().step), removed, true)) {
    }
    status_.update([removed](StoreStats& s) { s.entries_removed += removed; });
}

void SqliteWriter::fail(const std::string& what, int code) {
    if (auto retry = status_.fail(what, transient(code))) retry_writes_ = *retry;
}

void SqliteWriter::recovered() {
    if (!retry_writes_) return;
    retry_writes_ = false;
    status_.clear_transient();
}

void SqliteWriter::probe() {
    // The smallest real write: one page through the WAL, synced as the mode syncs. SQLite does
    // not write a page that an UPDATE leaves as it was, so the row changes and changes back:
    // the page is dirty and the commit must write it.
    try {
        ++transactions_;
        exec(db_, "BEGIN IMMEDIATE");
        exec(db_, "UPDATE schema_version SET version = -version");
        exec(db_, "UPDATE schema_version SET version = -version");
        exec(db_, "COMMIT");
        recovered();
    } catch (const std::exception& e) {
        if (sqlite3_get_autocommit(db_) == 0) exec_quietly(db_, "ROLLBACK");
        fail(e.what(), code_of(e));
    }
}

void SqliteWriter::checkpoint() { exec_quietly(db_, "PRAGMA wal_checkpoint(TRUNCATE)"); }

Histories SqliteWriter::read_recent(const std::string& path, std::size_t per_app,
                                    SqliteOptions::RestoreRead how) {
    return storage::read_recent(db_, path, apps_, per_app, how);
}

}  // namespace smartlog::storage

// storage/sqlite_schema.hpp: opening the database: the writing connection and its pragmas, the
// start-up check, the schema (created, or refused when newer) and the app table
// (docs/storage.md, "A damaged database at start", "Schema"). Blocking; the check runs on a
// thread of its own for the length of the call, beside `while_checking`.
#pragma once

#include <functional>
#include <string>

#include "storage/sqlite_common.hpp"
#include "storage/sqlite_options.hpp"

namespace smartlog::storage {

// 2: the entries table without the copies of message and metadata (docs/storage.md, "Schema").
inline constexpr int kSchemaVersion = 2;

struct OpenedDatabase {
    sqlite3* db = nullptr;   // the writing connection; the caller closes it
    bool full_text = false;  // the FTS5 trigram index exists
    AppTable apps;           // counts unknown
};

// data_dir/smartlog.db
std::string database_path(const SqliteOptions& options);

// Opens or creates the database of `options` (data_dir must exist) and runs options.check.
// On an existing database, `while_checking` (may be empty) runs with the connection and the
// apps while the check goes on: its errors are ignored unless they show damage. Throws
// std::runtime_error, one line, when the database cannot be opened, was written by a newer
// schema, or is damaged; a damaged database is left untouched (no checkpoint) and the message
// names it and says how to proceed.
OpenedDatabase open_database(const SqliteOptions& options,
                             const std::function<void(sqlite3*, const AppTable&)>& while_checking);

// The check of `check` through its own read-only connection; "" when it finds nothing, else
// "quick_check: what it found". Throws SqliteError when it cannot run. Thread-safe.
std::string run_startup_check(const std::string& path, StartupCheck check);

// Closes the writing connection without checkpointing the WAL into a database we refuse.
void close_without_checkpoint(sqlite3* db);

}  // namespace smartlog::storage

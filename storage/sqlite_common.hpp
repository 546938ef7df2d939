// storage/sqlite_common.hpp: what every part of the SQLite store shares: the error type that
// keeps SQLite's result code, a self-finalizing statement, the app table, the row layout.
// Plain helpers: no thread, no lock; each connection is used by one thread at a time.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/entry.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace smartlog::storage {

// Every connection maps the database (up to 1 GiB) instead of reading pages into its cache.
#define SMARTLOG_MMAP_SIZE "1073741824"

// Histories as load_recent returns them: per app, oldest first.
using Histories = std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>;

// A failed SQLite call, with its extended result code: the code tells a full disk (worth
// retrying) from a damaged database (not).
class SqliteError : public std::runtime_error {
public:
    SqliteError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

// SQLite's code of `e`, or SQLITE_ERROR for any other exception.
int code_of(const std::exception& e);
// Errors of the disk rather than of the database: the same write may succeed later.
bool transient(int code);
bool damaged(int code);
// What a caller whose entries were not stored is told.
std::error_code caller_error(int code);
// "sqlite step: why" -> "why"
std::string after_colon(const std::string& what);

// Runs `sql`, ignoring the outcome (pragmas that may not apply, a rollback of nothing).
void exec_quietly(sqlite3* db, const char* sql);
// Runs `sql`; throws SqliteError.
void exec(sqlite3* db, const char* sql);
// Throws SqliteError unless `rc` is a success.
void check(sqlite3* db, int rc, const char* what);
// Opens `path` read-only for one thread. Throws std::runtime_error naming it.
sqlite3* open_read_only(const std::string& path);

// A prepared statement that finalizes itself.
class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, std::int64_t v);
    void bind(int i, std::string_view v);  // copied
    // True while there is a row; throws on error.
    bool step();
    void reset();
    std::int64_t int64(int col);
    std::string text(int col);
    sqlite3_stmt* get() { return stmt_; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// What the store knows of an app row (schema: docs/storage.md).
struct AppState {
    std::int64_t key = 0;
    std::int64_t floor = 0;   // entries with seq <= floor were cleared
    std::int64_t count = -1;  // entries kept above the floor; -1: not counted yet
    bool purge = false;       // rows at or below the floor may remain on disk
};
using AppTable = std::unordered_map<std::string, AppState>;

// Every app of the database, counts unknown.
AppTable load_apps(sqlite3* db);

// The columns queries and load_recent select, as `e`: an entry is its encoded text
// (core/entry.hpp), whose fields are views.
inline constexpr const char* kColumns = "e.seq, e.encoded";

// The entry of a row selected with kColumns; null when its text is not an entry's (a row
// written by hand).
core::EntryPtr read_entry(Stmt& s);

// Registers smartlog_message(encoded), the message's text of an entry's encoded text (NULL when
// it is not one), on `db`: the search without a full-text index, and the index's deletions.
// Throws SqliteError.
void register_entry_functions(sqlite3* db);
// The writing connection's trigger that takes deleted rows out of the full-text index, given
// the message's text as the writer put it in (SqliteWriter::append): a temporary trigger, so
// that the file needs no function of ours (the sqlite3 shell opens it as it is; rows it deletes
// stay in the index, where queries, which join on `entries`, never see them). Throws SqliteError.
void create_fts_delete_trigger(sqlite3* db);

}  // namespace smartlog::storage

// storage/sqlite_schema.cpp: opening, checking and creating the database (docs/storage.md).
#include "storage/sqlite_schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

namespace smartlog::storage {

namespace {

// Version 2. `seq` is AUTOINCREMENT so that it never goes back, even when the newest rows are
// deleted: a clear is recorded as a floor on it. `received` is the arrival time in the id.
// `encoded` is the entry itself (core/entry.hpp); the other columns are what queries select on.
// Version 1 kept `user_id`, `message` and `metadata` too, a second copy of most of each entry.
#define SMARTLOG_ENTRIES_COLUMNS(table)            \
    "CREATE TABLE " table                          \
    "(\n"                                          \
    "    seq INTEGER PRIMARY KEY AUTOINCREMENT,\n" \
    "    app INTEGER NOT NULL,\n"                  \
    "    id TEXT NOT NULL,\n"                      \
    "    received INTEGER NOT NULL,\n"             \
    "    ts INTEGER NOT NULL,\n"                   \
    "    level TEXT NOT NULL,\n"                   \
    "    encoded TEXT NOT NULL);\n"
constexpr const char* kSchema =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);\n"
    "CREATE TABLE apps(\n"
    "    key INTEGER PRIMARY KEY,\n"
    "    name TEXT NOT NULL UNIQUE,\n"
    "    floor INTEGER NOT NULL DEFAULT 0);\n" SMARTLOG_ENTRIES_COLUMNS(
        "entries") "CREATE INDEX entries_by_app ON entries(app, id);\n";

// Substring search: the trigram tokenizer indexes every 3 characters, so a phrase query of 3
// or more characters finds exactly the rows that contain it, case-folded. Contentless: the
// message is in `encoded`, and queries read only rowids from the index. Rows enter it by a
// plain INSERT next to the entry's, not by a trigger: a trigger's statement savepoint makes
// FTS5 flush its pending terms for every row (10x slower); they leave it by the writer's
// temporary trigger (register_entry_functions).
constexpr const char* kFtsSchema = R"sql(
CREATE VIRTUAL TABLE entries_fts USING fts5(message, content='', tokenize='trigram');
)sql";

// Version 1 -> 2: the table rebuilt without user_id, message and metadata, in one transaction
// (ALTER TABLE DROP COLUMN would rewrite it once per column). seq values, the app index and
// AUTOINCREMENT's high-water mark stay; so does version 1's search index, whose rows are the
// same messages (its content='entries' is never read: queries read rowids only). The freed
// pages are reused by new rows; `VACUUM` offline gives them back to the file system.
constexpr const char* kMigrateToV2 =
    "DROP TRIGGER IF EXISTS entries_fts_delete;\n" SMARTLOG_ENTRIES_COLUMNS("entries_v2")
    "INSERT INTO entries_v2(seq, app, id, received, ts, level, encoded)\n"
    "    SELECT seq, app, id, received, ts, level, encoded FROM entries ORDER BY seq;\n"
    "DROP TABLE entries;\n"
    "ALTER TABLE entries_v2 RENAME TO entries;\n"
    "CREATE INDEX entries_by_app ON entries(app, id);\n";
#undef SMARTLOG_ENTRIES_COLUMNS

// The name the check goes by in messages ("quick_check: ...").
const char* check_name(StartupCheck check) {
    return check == StartupCheck::full    ? "integrity_check"
           : check == StartupCheck::quick ? "quick_check"
                                          : "reading the schema";
}

std::string refusal(const SqliteOptions& options, const std::string& path, const std::string& why) {
    // One line: main() prints it as the reason smartlogd does not start (docs/storage.md).
    const std::string dir = options.data_dir.string();
    return path + " is damaged (" + why +
           "); smartlogd changed nothing and will not start on it. " +
           "To start empty, move smartlog.db, smartlog.db-wal and smartlog.db-shm out of " + dir +
           "; to salvage entries, run `sqlite3 " + path + " .recover` on a copy";
}

void set_connection_pragmas(sqlite3* db, bool sync) {
    sqlite3_busy_timeout(db, 5000);
    // Checked on Debian 12's SQLite: in WAL mode any level survives a crash of the process;
    // only FULL survives a power loss, which is what `sync` promises.
    exec_quietly(db, sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec_quietly(db, "PRAGMA temp_store=MEMORY");
    exec_quietly(db, "PRAGMA cache_size=-65536");
    exec_quietly(db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
}

bool has_table(sqlite3* db, const char* name) {
    Stmt s(db, "SELECT 1 FROM sqlite_master WHERE name = ?");
    s.bind(1, std::string_view(name));
    return s.step();
}

// The database's schema version; refuses a newer one.
std::int64_t read_schema(sqlite3* db, const std::string& path) {
    Stmt s(db, "SELECT max(version) FROM schema_version");
    const std::int64_t version = s.step() ? s.int64(0) : 0;
    if (version > kSchemaVersion) {
        throw std::runtime_error(path + " was written by a newer smartlog (schema version " +
                                 std::to_string(version) + ", this one knows " +
                                 std::to_string(kSchemaVersion) + ")");
    }
    return version;
}

void set_version(sqlite3* db) {
    exec(db, "DELETE FROM schema_version");
    exec(db, ("INSERT INTO schema_version(version) VALUES (" + std::to_string(kSchemaVersion) + ")")
                 .c_str());
}

// Brings a database of an older schema to kSchemaVersion, in one transaction, then empties the
// WAL it filled (a copy of most of the table).
void migrate(sqlite3* db, std::int64_t from) {
    if (from < 1 || from >= kSchemaVersion) return;
    exec(db, "BEGIN IMMEDIATE");
    try {
        // DROP TABLE forgets the table's AUTOINCREMENT mark, which may be above max(seq).
        std::int64_t high_water = 0;
        {
            Stmt s(db, "SELECT seq FROM sqlite_sequence WHERE name = 'entries'");
            if (s.step()) high_water = s.int64(0);
        }
        exec(db, kMigrateToV2);
        {
            Stmt s(db, "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'entries'");
            s.bind(1, high_water);
            s.step();
        }
        if (high_water > 0) {
            Stmt s(db,
                   "INSERT INTO sqlite_sequence(name, seq) SELECT 'entries', ? WHERE NOT EXISTS "
                   "(SELECT 1 FROM sqlite_sequence WHERE name = 'entries')");
            s.bind(1, high_water);
            s.step();
        }
        set_version(db);
        exec(db, "COMMIT");
    } catch (...) {
        exec_quietly(db, "ROLLBACK");
        throw;
    }
    exec_quietly(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

void create_schema(sqlite3* db) {
    bool fts5 = false;
    {
        Stmt s(db, "PRAGMA compile_options");
        while (s.step()) fts5 = fts5 || s.text(0) == "ENABLE_FTS5";
    }
    exec(db, "BEGIN");
    exec(db, kSchema);
    if (fts5) exec(db, kFtsSchema);
    set_version(db);
    exec(db, "COMMIT");
}

}  // namespace

std::string database_path(const SqliteOptions& options) {
    return (options.data_dir / "smartlog.db").string();
}

void close_without_checkpoint(sqlite3* db) {
    if (db) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_close_v2(db);
}

std::string run_startup_check(const std::string& path, StartupCheck check) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
        const int code = db ? sqlite3_extended_errcode(db) : SQLITE_CANTOPEN;
        const std::string why = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close(db);
        throw SqliteError(std::string(check_name(check)) + ": " + why, code);
    }
    // Read-only, but never let closing it touch a database that may be refused.
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    // Pages through the map instead of a read() copy each: 0.3 s less kernel time for 800 MB.
    exec_quietly(db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
    std::string problems;
    try {
        Stmt s(db,
               check == StartupCheck::full ? "PRAGMA integrity_check(5)" : "PRAGMA quick_check(5)");
        while (s.step()) {
            const std::string row = s.text(0);
            if (row != "ok") problems += (problems.empty() ? "" : "; ") + row;
        }
    } catch (const SqliteError& e) {
        sqlite3_close(db);
        // "sqlite step: why" -> "quick_check: why"
        throw SqliteError(std::string(check_name(check)) + ": " + after_colon(e.what()), e.code());
    }
    sqlite3_close(db);
    if (problems.empty()) return problems;
    std::replace(problems.begin(), problems.end(), '\n', ' ');
    return std::string(check_name(check)) + ": " + problems;
}

OpenedDatabase open_database(const SqliteOptions& options,
                             const std::function<void(sqlite3*, const AppTable&)>& while_checking) {
    const std::string path = database_path(options);
    OpenedDatabase out;
    const int rc =
        sqlite3_open_v2(path.c_str(), &out.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = out.db ? sqlite3_errmsg(out.db) : sqlite3_errstr(rc);
        sqlite3_close(out.db);
        throw std::runtime_error("cannot open " + path + ": " + why);
    }
    sqlite3* db = out.db;
    const char* name = check_name(options.check);
    // The check runs on its own thread and connection while this one reads the schema, the
    // apps and (while_checking) the histories: it costs as much as the restore itself
    // (docs/storage.md, "Restart"). Nothing writes before it has passed.
    std::string problems;
    std::exception_ptr check_failed;
    std::thread checker;
    auto join_check = [&] {
        if (checker.joinable()) checker.join();
        if (check_failed) std::rethrow_exception(std::exchange(check_failed, nullptr));
        if (!problems.empty()) throw SqliteError(std::exchange(problems, {}), SQLITE_CORRUPT);
    };
    try {
        try {
            // Reading the first page replays the WAL, dropping a torn tail (docs/storage.md),
            // and shows a file that is not a database, whatever the check.
            Stmt s(db, "SELECT 'ok' FROM sqlite_master LIMIT 1");
            s.step();
        } catch (const SqliteError& e) {
            throw SqliteError(std::string(name) + ": " + after_colon(e.what()), e.code());
        }
        if (options.check != StartupCheck::none) {
            checker = std::thread([&, path] {
                try {
                    problems = run_startup_check(path, options.check);
                } catch (...) {
                    check_failed = std::current_exception();
                }
            });
        }
        set_connection_pragmas(db, options.sync);
        if (!has_table(db, "schema_version")) {
            join_check();
            exec(db, "PRAGMA journal_mode=WAL");
            create_schema(db);
        } else {
            const std::int64_t version = read_schema(db, path);
            out.apps = load_apps(db);
            if (while_checking) {
                try {
                    while_checking(db, out.apps);
                } catch (const std::exception& e) {
                    // Damage the check missed is refused too (below); anything else is the
                    // caller's to meet again later.
                    join_check();
                    if (damaged(code_of(e))) {
                        throw SqliteError(std::string("reading entries: ") + after_colon(e.what()),
                                          code_of(e));
                    }
                }
            }
            join_check();
            exec(db, "PRAGMA journal_mode=WAL");
            // After the check: nothing writes to a database before it has passed.
            migrate(db, version);
        }
        out.full_text = has_table(db, "entries_fts");
    } catch (...) {
        // Whatever failed, the check's own finding comes first, as when it ran before the rest.
        if (checker.joinable()) checker.join();
        close_without_checkpoint(db);
        if (!problems.empty()) throw std::runtime_error(refusal(options, path, problems));
        if (check_failed) {
            try {
                std::rethrow_exception(check_failed);
            } catch (const SqliteError& e) {
                if (damaged(e.code())) throw std::runtime_error(refusal(options, path, e.what()));
            } catch (...) {
            }
        }
        try {
            throw;
        } catch (const SqliteError& e) {
            if (damaged(e.code())) throw std::runtime_error(refusal(options, path, e.what()));
            throw;
        }
    }
    return out;
}

}  // namespace smartlog::storage

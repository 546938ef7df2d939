// storage/sqlite_store.cpp: SqliteStore. Everything below thread_main() runs on the storage
// thread, everything below reader_main() on a reader thread; the public entry points only queue
// jobs. Schema and reasons: docs/storage.md.
#include "storage/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <future>
#include <stdexcept>

#include "core/id_generator.hpp"
#include "storage/restore_scan.hpp"

namespace smartlog::storage {

namespace {

using steady = std::chrono::steady_clock;

// Version 1. `seq` is AUTOINCREMENT so that it never goes back, even when the newest rows are
// deleted: a clear is recorded as a floor on it. `received` is the arrival time in the id.
constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE apps(
    key INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    floor INTEGER NOT NULL DEFAULT 0);
CREATE TABLE entries(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app INTEGER NOT NULL,
    id TEXT NOT NULL,
    received INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    level TEXT NOT NULL,
    user_id TEXT NOT NULL,
    message TEXT NOT NULL,
    metadata TEXT NOT NULL,
    encoded TEXT NOT NULL);
CREATE INDEX entries_by_app ON entries(app, id);
)sql";

// Substring search: the trigram tokenizer indexes every 3 characters, so a phrase query of 3
// or more characters finds exactly the rows that contain it, case-folded.
// Rows enter the index by a plain INSERT next to the entry's, not by a trigger: a trigger's
// statement savepoint makes FTS5 flush its pending terms for every row (10x slower).
constexpr const char* kFtsSchema = R"sql(
CREATE VIRTUAL TABLE entries_fts USING fts5(message, content='entries', content_rowid='seq',
                                            tokenize='trigram');
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, message) VALUES ('delete', old.seq, old.message);
END;
)sql";

// Every connection maps the database (up to 1 GiB) instead of reading pages into its cache.
#define SMARTLOG_MMAP_SIZE "1073741824"

// Levels are bound as ?100, ?101...: numbered apart from the named parameters.
constexpr std::size_t kFirstLevelParam = 100;

constexpr const char* kColumns = "e.seq, e.id, e.ts, e.level, e.user_id, e.message, e.metadata, e.encoded";

// A failed SQLite call, with its extended result code: the code tells a full disk (worth
// retrying) from a damaged database (not).
class SqliteError : public std::runtime_error {
public:
    SqliteError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

int code_of(const std::exception& e) {
    const auto* sqlite = dynamic_cast<const SqliteError*>(&e);
    return sqlite ? sqlite->code() : SQLITE_ERROR;
}

// Errors of the disk rather than of the database: the same write may succeed later.
bool transient(int code) {
    const int primary = code & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_BUSY;
}

bool damaged(int code) {
    const int primary = code & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// What a caller whose entries were not stored is told.
std::error_code caller_error(int code) {
    return std::make_error_code((code & 0xff) == SQLITE_FULL ? std::errc::no_space_on_device : std::errc::io_error);
}

// A prepared statement that finalizes itself.
class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
            throw SqliteError(std::string("sqlite prepare: ") + sqlite3_errmsg(db), sqlite3_extended_errcode(db));
        }
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, std::string_view v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    // True while there is a row; throws on error.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SqliteError(std::string("sqlite step: ") + sqlite3_errmsg(db_), sqlite3_extended_errcode(db_));
    }
    std::int64_t int64(int col) { return sqlite3_column_int64(stmt_, col); }
    std::string text(int col) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    sqlite3_stmt* get() { return stmt_; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec_on(sqlite3* db, const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

// "sqlite step: why" -> "why"
std::string after_colon(const std::string& what) {
    const auto colon = what.find(": ");
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db), sqlite3_extended_errcode(db));
    }
}

void bind_text(sqlite3_stmt* stmt, int i, std::string_view v) {
    // SQLITE_STATIC: the entry outlives the statement's step.
    sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// Reads a row selected with kColumns or kRestoreColumns into an entry of `app_id`.
core::EntryPtr read_entry(Stmt& s, const std::string& app_id) {
    auto e = std::make_shared<core::Entry>();
    e->id = s.text(1);
    e->timestamp = s.int64(2);
    e->level = s.text(3);
    e->user_id = s.text(4);
    e->message = s.text(5);
    e->metadata = s.text(6);
    e->encoded = s.text(7);
    e->app_id = app_id;
    return e;
}

// What load_recent reads: a restored entry is never stored again, and nothing else reads
// Entry::metadata (its `encoded` text holds it), so a NULL stands in for the column. It is a
// fifth of the bytes a restart copies and one allocation per entry (docs/storage.md,
// "Restart"). Same shape as kColumns, so read_entry reads both.
constexpr const char* kRestoreColumns = "e.seq, e.id, e.ts, e.level, e.user_id, e.message, NULL, e.encoded";

std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// `s` as a LIKE pattern that matches it anywhere, with \ escaping the wildcards.
std::string like_pattern(std::string_view s) {
    std::string out = "%";
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

// `s` as one FTS5 phrase.
std::string fts_phrase(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

struct SqliteStore::Reader {
    sqlite3* db = nullptr;
    std::thread thread;
};

SqliteStore::SqliteStore(SqliteOptions options, const core::Clock& clock)
    : options_(std::move(options)), clock_(clock), lock_(options_.data_dir) {
    try {
        open();
        const std::string path = (options_.data_dir / "smartlog.db").string();
        for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.query_threads); ++i) {
            auto reader = std::make_unique<Reader>();
            const int rc = sqlite3_open_v2(path.c_str(), &reader->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
            if (rc != SQLITE_OK) {
                const std::string why = reader->db ? sqlite3_errmsg(reader->db) : sqlite3_errstr(rc);
                sqlite3_close(reader->db);
                throw std::runtime_error("cannot open " + path + " for reading: " + why);
            }
            sqlite3_busy_timeout(reader->db, 5000);
            exec_on(reader->db, "PRAGMA temp_store=MEMORY");
            exec_on(reader->db, "PRAGMA cache_size=-16384");
            exec_on(reader->db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
            readers_.push_back(std::move(reader));
        }
    } catch (...) {
        for (auto& reader : readers_) sqlite3_close(reader->db);
        readers_.clear();
        sqlite3_finalize(insert_);
        sqlite3_finalize(insert_app_);
        sqlite3_finalize(insert_fts_);
        // Closing the last connection would checkpoint the WAL into a database we refuse.
        if (db_) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        sqlite3_close_v2(db_);
        throw;
    }
    // Counts are unknown until the first sweep. After a preload, the first sweep waits one
    // retention_interval: counting every app (0.2 s of CPU for 1,000 apps) would otherwise
    // compete with the restore that the server finishes before it listens.
    retention_active_ = options_.preload_per_app == 0;
    next_retention_ = steady::now() + (retention_active_ ? steady::duration::zero() : steady::duration(options_.retention_interval));
    thread_ = std::thread([this] { thread_main(); });
    for (auto& reader : readers_) {
        reader->thread = std::thread([this, r = reader.get()] { reader_main(*r); });
    }
}

SqliteStore::~SqliteStore() {
    close();
    sqlite3_finalize(insert_);
    sqlite3_finalize(insert_app_);
    sqlite3_finalize(insert_fts_);
    for (auto& reader : readers_) sqlite3_close(reader->db);
    sqlite3_close(db_);
}

void SqliteStore::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw SqliteError(std::string("sqlite: ") + message + " (in: " + std::string(sql).substr(0, 60) + ")",
                          sqlite3_extended_errcode(db_));
    }
}

// The name the check goes by in messages ("quick_check: ...").
const char* SqliteStore::check_name() const {
    return options_.check == StartupCheck::full    ? "integrity_check"
           : options_.check == StartupCheck::quick ? "quick_check"
                                                   : "reading the schema";
}

void SqliteStore::open() {
    // lock_ has created data_dir.
    const std::string path = (options_.data_dir / "smartlog.db").string();
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        throw std::runtime_error("cannot open " + path + ": " + why);
    }
    // The check runs on its own thread and connection while this one reads the schema, the
    // apps and (preload_per_app) the histories: it costs as much as the restore itself
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
            Stmt s(db_, "SELECT 'ok' FROM sqlite_master LIMIT 1");
            s.step();
        } catch (const SqliteError& e) {
            throw SqliteError(std::string(check_name()) + ": " + after_colon(e.what()), e.code());
        }
        if (options_.check != StartupCheck::none) {
            checker = std::thread([&, path] {
                try {
                    problems = run_check(path);
                } catch (...) {
                    check_failed = std::current_exception();
                }
            });
        }
        set_connection_pragmas(db_);
        if (!has_schema()) {
            join_check();
            exec("PRAGMA journal_mode=WAL");
            create_schema();
        } else {
            read_schema(path);
            load_apps();
            if (options_.preload_per_app > 0) {
                try {
                    preloaded_ = read_recent(options_.preload_per_app);
                } catch (const std::exception& e) {
                    // Damage the check missed is refused too (below); anything else: the
                    // first load_recent reads again and meets the error there, as before.
                    join_check();
                    if (damaged(code_of(e))) throw SqliteError(std::string("reading entries: ") + after_colon(e.what()), code_of(e));
                }
            }
            join_check();
            exec("PRAGMA journal_mode=WAL");
        }
    } catch (...) {
        // Whatever failed, the check's own finding comes first, as when it ran before the rest.
        if (checker.joinable()) checker.join();
        preloaded_.reset();
        if (!problems.empty()) throw std::runtime_error(refusal(path, problems));
        if (check_failed) {
            try {
                std::rethrow_exception(check_failed);
            } catch (const SqliteError& e) {
                if (damaged(e.code())) throw std::runtime_error(refusal(path, e.what()));
            } catch (...) {
            }
        }
        try {
            throw;
        } catch (const SqliteError& e) {
            if (damaged(e.code())) throw std::runtime_error(refusal(path, e.what()));
            throw;
        }
    }
    has_fts_ = has_table("entries_fts");
    prepare_statements();
}

std::string SqliteStore::refusal(const std::string& path, const std::string& why) const {
    // One line: main() prints it as the reason smartlogd does not start (docs/storage.md).
    const std::string dir = options_.data_dir.string();
    return path + " is damaged (" + why + "); smartlogd changed nothing and will not start on it. " +
           "To start empty, move smartlog.db, smartlog.db-wal and smartlog.db-shm out of " + dir +
           "; to salvage entries, run `sqlite3 " + path + " .recover` on a copy";
}

std::string SqliteStore::run_check(const std::string& path) const {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        const int code = db ? sqlite3_extended_errcode(db) : SQLITE_CANTOPEN;
        const std::string why = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close(db);
        throw SqliteError(std::string(check_name()) + ": " + why, code);
    }
    // Read-only, but never let closing it touch a database that may be refused.
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    // Pages through the map instead of a read() copy each: 0.3 s less kernel time for 800 MB.
    exec_on(db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
    std::string problems;
    try {
        Stmt s(db, options_.check == StartupCheck::full ? "PRAGMA integrity_check(5)" : "PRAGMA quick_check(5)");
        while (s.step()) {
            const std::string row = s.text(0);
            if (row != "ok") problems += (problems.empty() ? "" : "; ") + row;
        }
    } catch (const SqliteError& e) {
        sqlite3_close(db);
        // "sqlite step: why" -> "quick_check: why"
        throw SqliteError(std::string(check_name()) + ": " + after_colon(e.what()), e.code());
    }
    sqlite3_close(db);
    if (problems.empty()) return problems;
    std::replace(problems.begin(), problems.end(), '\n', ' ');
    return std::string(check_name()) + ": " + problems;
}

void SqliteStore::set_connection_pragmas(sqlite3* db) {
    sqlite3_busy_timeout(db, 5000);
    // Checked on Debian 12's SQLite: in WAL mode any level survives a crash of the process;
    // only FULL survives a power loss, which is what `sync` promises.
    exec_on(db, options_.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec_on(db, "PRAGMA temp_store=MEMORY");
    exec_on(db, "PRAGMA cache_size=-65536");
    exec_on(db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
}

bool SqliteStore::has_table(const char* name) {
    Stmt s(db_, "SELECT 1 FROM sqlite_master WHERE name = ?");
    s.bind(1, std::string_view(name));
    return s.step();
}

bool SqliteStore::has_schema() { return has_table("schema_version"); }

void SqliteStore::read_schema(const std::string& path) {
    Stmt s(db_, "SELECT max(version) FROM schema_version");
    const std::int64_t version = s.step() ? s.int64(0) : 0;
    if (version > kSchemaVersion) {
        throw std::runtime_error(path + " was written by a newer smartlog (schema version " +
                                 std::to_string(version) + ", this one knows " + std::to_string(kSchemaVersion) +
                                 ")");
    }
}

void SqliteStore::create_schema() {
    bool fts5 = false;
    {
        Stmt s(db_, "PRAGMA compile_options");
        while (s.step()) fts5 = fts5 || s.text(0) == "ENABLE_FTS5";
    }
    exec("BEGIN");
    exec(kSchema);
    if (fts5) exec(kFtsSchema);
    exec(("INSERT INTO schema_version(version) VALUES (" + std::to_string(kSchemaVersion) + ")").c_str());
    exec("COMMIT");
}

void SqliteStore::prepare_statements() {
    check(db_, sqlite3_prepare_v2(db_,
                                  "INSERT INTO entries(app, id, received, ts, level, user_id, message, metadata, encoded) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  -1, &insert_, nullptr),
          "sqlite prepare");
    check(db_, sqlite3_prepare_v2(db_, "INSERT INTO apps(name) VALUES (?)", -1, &insert_app_, nullptr),
          "sqlite prepare");
    if (has_fts_) {
        check(db_, sqlite3_prepare_v2(db_, "INSERT INTO entries_fts(rowid, message) VALUES (?, ?)", -1,
                                      &insert_fts_, nullptr),
              "sqlite prepare");
    }
}

// ---- the caller's side ---------------------------------------------------------------------

void SqliteStore::post(Job job) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void SqliteStore::run_and_wait(std::function<void()> fn) {
    std::promise<void> finished;
    auto future = finished.get_future();
    {
        std::lock_guard lock(mu_);
        if (closing_) throw std::runtime_error("the store is closed");
    }
    post({[&] {
        try {
            fn();
            finished.set_value();
        } catch (...) {
            finished.set_exception(std::current_exception());
        }
    }});
    future.get();
}

void SqliteStore::append(std::vector<core::EntryPtr> entries, Done done) {
    const std::size_t n = entries.size();
    bool accepted = false;
    {
        std::lock_guard lock(mu_);
        if (closing_) {
            stats_.entries_failed += n;
        } else {
            // Never refused for its length: the caller stops admitting while backlogged().
            const std::uint64_t queued = queued_entries_ += n;
            if (queued >= options_.max_queued_entries) backlogged_ = true;
            stats_.queued_entries_peak = std::max(stats_.queued_entries_peak, queued);
            queue_.push_back({[this, entries = std::move(entries), done = std::move(done)]() mutable {
                                  do_append(entries, std::move(done));
                              },
                              n, ++writes_posted_});
            accepted = true;
        }
    }
    if (!accepted) return done(std::make_error_code(std::errc::operation_canceled));
    cv_.notify_one();
}

void SqliteStore::clear(const std::string& app_id, Done done) {
    {
        std::lock_guard lock(mu_);
        if (!closing_) {
            queue_.push_back({[this, app_id, done = std::move(done)]() mutable { do_clear(app_id, std::move(done)); },
                              0, ++writes_posted_});
            done = nullptr;
        }
    }
    if (done) return done(std::make_error_code(std::errc::operation_canceled));
    cv_.notify_one();
}

void SqliteStore::query(Query q, QueryDone done) {
    bool waits = false;
    {
        std::lock_guard lock(mu_);
        if (!closing_ && !readers_stop_) {
            // It must see every write called before it: it runs once they are settled.
            const std::uint64_t ticket = writes_posted_;
            waits = ticket > writes_settled_;
            query_ticket_max_ = std::max(query_ticket_max_, ticket);
            auto& queue = query_queues_[q.app_id];
            if (queue.empty()) query_order_.push_back(q.app_id);
            queue.push_back({std::move(q), std::move(done), ticket});
            done = nullptr;
        }
    }
    if (done) return done(std::make_error_code(std::errc::operation_canceled), {});
    // The writer commits early for a query that waits on its open transaction.
    if (waits) cv_.notify_one();
    reader_cv_.notify_all();
}

std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> SqliteStore::load_recent(std::size_t per_app) {
    Loaded out;
    run_and_wait([&] {
        // The helper's connection sees only what is committed.
        commit();
        // What the constructor read, unless something was written since (the writes reset it).
        if (preloaded_ && options_.preload_per_app == per_app) {
            out = std::move(*preloaded_);
        } else {
            out = read_recent(per_app);
        }
        preloaded_.reset();
    });
    return out;
}

namespace {

// The entry a restore row holds, columns from `first`: id, ts, level, user_id, message,
// encoded (kScanColumns, kRestoreColumns without seq and metadata).
core::EntryPtr restored_entry(sqlite3_stmt* s, int first, const std::string& app_id) {
    auto text = [s](int col) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : std::string();
    };
    auto e = std::make_shared<core::Entry>();
    e->id = text(first);
    e->timestamp = sqlite3_column_int64(s, first + 1);
    e->level = text(first + 2);
    e->user_id = text(first + 3);
    e->message = text(first + 4);
    e->encoded = text(first + 5);
    e->app_id = app_id;
    return e;
}

// One scan of the table, newest first: app and seq to pick the row, then the entry.
constexpr const char* kScanSql =
    "SELECT app, seq, id, ts, level, user_id, message, encoded FROM entries "
    "WHERE seq BETWEEN ? AND ? ORDER BY seq DESC";

}  // namespace

SqliteStore::Loaded SqliteStore::read_recent(std::size_t per_app) {
    Loaded out;
    if (per_app == 0 || apps_.empty()) return out;
    std::vector<RestoreScan::App> apps;
    apps.reserve(apps_.size());
    for (const auto& [name, app] : apps_) apps.push_back({name, app.key, app.floor});

    std::int64_t lo = 0, hi = 0;
    {
        Stmt first(db_, "SELECT seq FROM entries ORDER BY seq LIMIT 1");
        if (!first.step()) return out;
        lo = first.int64(0);
        Stmt last(db_, "SELECT seq FROM entries ORDER BY seq DESC LIMIT 1");
        hi = last.step() ? last.int64(0) : lo;
    }
    // hi - lo + 1 bounds the rows kept: scanning them all beats one index query per app (an
    // index walk, then a table lookup per row, in no useful order) unless most rows are older
    // than the histories want.
    const double wanted = static_cast<double>(apps.size()) * static_cast<double>(per_app);
    const bool scan = options_.restore_read == SqliteOptions::RestoreRead::scan ||
                      (options_.restore_read == SqliteOptions::RestoreRead::automatic &&
                       static_cast<double>(hi - lo) + 1 <= 2 * wanted);

    // Reads the newest per_app entries of apps [from, to) through `db`, one index query each.
    auto per_app_query = [per_app, &apps](sqlite3* db, std::size_t from, std::size_t to,
                                          const std::vector<std::size_t>* only, Loaded& into) {
        Stmt s(db, std::string("SELECT ") + kRestoreColumns +
                       " FROM entries e WHERE e.app = ? AND e.seq > ? ORDER BY e.id DESC LIMIT ?");
        for (std::size_t k = from; k < to; ++k) {
            const auto& app = apps[only ? (*only)[k] : k];
            sqlite3_reset(s.get());
            s.bind(1, app.key);
            s.bind(2, app.floor);
            s.bind(3, static_cast<std::int64_t>(per_app));
            std::vector<core::EntryPtr> entries;
            entries.reserve(std::min<std::size_t>(per_app, 4096));
            while (s.step()) entries.push_back(read_entry(s, app.name));
            if (entries.empty()) continue;
            std::reverse(entries.begin(), entries.end());
            into.emplace_back(app.name, std::move(entries));
        }
    };

    RestoreScan plan(scan ? apps : std::vector<RestoreScan::App>{}, per_app);
    auto scan_range = [&plan](sqlite3* db, std::int64_t from, std::int64_t to, RestoreScan::Part& part) {
        Stmt s(db, kScanSql);
        s.bind(1, from);
        s.bind(2, to);
        sqlite3_stmt* st = s.get();
        while (s.step()) {
            const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
            const std::string_view id_view(id ? id : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 2)));
            const RestoreScan::Take take =
                plan.offer(part, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), id_view);
            if (take.into) take.into->push_back(restored_entry(st, 2, *take.app_id));
        }
    };

    // Building a million entries costs more than reading them: a second read-only connection
    // on a helper thread does half of the work (the 1,000 x 1,000 restart goal of docs/performance.md).
    sqlite3* reader = nullptr;
    const std::string path = (options_.data_dir / "smartlog.db").string();
    const bool two = (scan ? hi > lo : apps.size() >= 2) &&
                     sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK;
    if (!two) {
        sqlite3_close(reader);
        reader = nullptr;
    } else {
        exec_on(reader, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
    }
    std::vector<RestoreScan::Part> parts;
    Loaded second;
    if (scan) {
        parts.push_back(plan.new_part());  // seq above mid: the newest
        parts.push_back(plan.new_part());
    }
    const std::int64_t mid = lo + (hi - lo) / 2;
    const std::size_t half = apps.size() / 2;
    std::exception_ptr failed;
    std::thread helper;
    if (two) {
        helper = std::thread([&] {
            try {
                if (scan) {
                    scan_range(reader, mid + 1, hi, parts[0]);
                } else {
                    per_app_query(reader, half, apps.size(), nullptr, second);
                }
            } catch (...) {
                failed = std::current_exception();
            }
        });
    }
    try {
        if (scan) {
            scan_range(db_, lo, two ? mid : hi, parts[1]);
        } else {
            per_app_query(db_, 0, two ? half : apps.size(), nullptr, out);
        }
    } catch (...) {
        if (helper.joinable()) helper.join();
        sqlite3_close(reader);
        throw;
    }
    if (helper.joinable()) helper.join();
    sqlite3_close(reader);
    if (failed) std::rethrow_exception(failed);
    if (!scan) {
        for (auto& app : second) out.push_back(std::move(app));
        return out;
    }
    if (!two) std::swap(parts[0], parts[1]);  // everything went to parts[1]
    RestoreScan::Result result = plan.finish(std::move(parts));
    out = std::move(result.loaded);
    // Apps whose ids do not follow seq (a clock set back with nothing restored to remember
    // it, rows written by hand): the index query, exact whatever the order.
    per_app_query(db_, 0, result.unordered.size(), &result.unordered, out);
    return out;
}

void SqliteStore::run_retention() {
    run_and_wait([this] {
        commit();
        std::uint64_t removed = 0;
        while (retention_step(static_cast<std::int64_t>(options_.retention_step), removed)) {
        }
        std::lock_guard lock(mu_);
        stats_.entries_removed += removed;
    });
}

bool SqliteStore::healthy() const {
    std::lock_guard lock(mu_);
    return health_.empty();
}

std::string SqliteStore::health_message() const {
    std::lock_guard lock(mu_);
    return health_;
}

bool SqliteStore::backlogged() const { return backlogged_.load(); }

StoreStats SqliteStore::stats() const {
    std::lock_guard lock(mu_);
    StoreStats s = stats_;
    s.queued_entries = queued_entries_.load();
    return s;
}

void SqliteStore::close() {
    // Readers first: a read open while the writer checkpoints at the end would keep the WAL.
    stop_readers();
    {
        std::lock_guard lock(mu_);
        closing_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void SqliteStore::stop_readers() {
    std::vector<QueryJob> cancelled;
    {
        std::lock_guard lock(mu_);
        readers_stop_ = true;
        for (auto& [app, queue] : query_queues_) {
            for (auto& job : queue) cancelled.push_back(std::move(job));
        }
        query_queues_.clear();
        query_order_.clear();
    }
    reader_cv_.notify_all();
    for (auto& job : cancelled) job.done(std::make_error_code(std::errc::operation_canceled), {});
    for (auto& reader : readers_) {
        if (reader->thread.joinable()) reader->thread.join();
    }
}

void SqliteStore::emit(StoreEvent::Kind kind, std::string message) {
    if (!options_.on_event) return;
    try {
        options_.on_event(StoreEvent{kind, std::move(message)});
    } catch (...) {
        // The sink's trouble must not stop the store.
    }
}

// ---- the storage thread --------------------------------------------------------------------

void SqliteStore::thread_main() {
    std::deque<Job> jobs;
    for (;;) {
        bool stop = false;
        bool closing = false;
        {
            std::unique_lock lock(mu_);
            for (;;) {
                if (!queue_.empty() || closing_) break;
                if (in_txn_) {
                    // A query waits for this transaction: it sees only what is committed.
                    if (query_ticket_max_ > writes_settled_) break;
                    const auto deadline = txn_started_ + options_.commit_interval;
                    if (steady::now() >= deadline) break;
                    cv_.wait_until(lock, deadline);
                } else if (retention_active_) {
                    break;
                } else {
                    if (steady::now() >= next_retention_) break;
                    cv_.wait_until(lock, next_retention_);
                }
            }
            jobs.swap(queue_);
            closing = closing_;
            stop = closing && jobs.empty();
        }
        // The backlog rose while this thread was busy: tell it before these jobs drain it.
        report_backlog();
        for (Job& job : jobs) {
            try {
                job.run();
            } catch (const std::exception& e) {
                // Storage errors degrade: live tailing goes on, /readyz tells.
                fail(e.what(), code_of(e));
            }
            if (job.entries) {
                std::lock_guard lock(mu_);
                const std::uint64_t queued = queued_entries_ -= job.entries;
                // Hysteresis: ingest resumes once half of the bound is free, not at every job.
                if (queued <= options_.max_queued_entries / 2) backlogged_ = false;
            }
            if (job.ticket) {
                if (in_txn_) {
                    txn_last_ticket_ = job.ticket;
                } else {
                    settle(job.ticket);
                }
            }
            // A long queue must not hold the batch transaction open past its deadline.
            if (in_txn_ && !options_.sync && steady::now() >= txn_started_ + options_.commit_interval) {
                commit();
            }
        }
        jobs.clear();
        report_backlog();
        bool query_waits = false;
        {
            std::lock_guard lock(mu_);
            query_waits = query_ticket_max_ > writes_settled_;
        }
        const auto now = steady::now();
        if (in_txn_ && (options_.sync || closing || query_waits || now >= txn_started_ + options_.commit_interval)) {
            commit();
        }
        if (stop) break;
        if (!in_txn_) {
            if (!retention_active_ && now >= next_retention_) {
                retention_active_ = true;
                // An idle server must notice that the disk came back too, or /readyz keeps
                // turning away the traffic that would show it.
                if (retry_writes_) probe();
            }
            if (retention_active_) {
                bool worked = false;
                std::uint64_t removed = 0;
                try {
                    worked = retention_step(static_cast<std::int64_t>(options_.retention_step), removed);
                } catch (const std::exception& e) {
                    fail(std::string("retention: ") + e.what(), code_of(e));
                    if (sqlite3_get_autocommit(db_) == 0) rollback();
                    removed = 0;
                }
                if (removed) {
                    std::lock_guard lock(mu_);
                    stats_.entries_removed += removed;
                }
                if (!worked) {
                    retention_active_ = false;
                    next_retention_ = steady::now() + options_.retention_interval;
                }
            }
        }
    }
    // Leave a short WAL behind, so that the next start reads one file.
    sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

void SqliteStore::report_backlog() {
    const bool backlogged = backlogged_.load();
    if (backlogged == backlog_reported_) return;
    backlog_reported_ = backlogged;
    const std::string bound = std::to_string(options_.max_queued_entries);
    if (backlogged) {
        emit(StoreEvent::Kind::backlog, "the write queue reached " + bound +
                                            " entries (max_queued_entries): ingest waits until half of it is written");
    } else {
        emit(StoreEvent::Kind::drained,
             "the write queue is down to half of " + bound + " entries: ingest resumes (peak " +
                 std::to_string(stats().queued_entries_peak) + ")");
    }
}

void SqliteStore::settle(std::uint64_t ticket) {
    {
        std::lock_guard lock(mu_);
        if (ticket <= writes_settled_) return;
        writes_settled_ = ticket;
    }
    reader_cv_.notify_all();
}

void SqliteStore::fail(const std::string& what, int code) {
    {
        std::lock_guard lock(mu_);
        ++stats_.errors;
        if (!health_permanent_) {
            health_ = "storage error: " + what;
            health_permanent_ = !transient(code);
            retry_writes_ = !health_permanent_;
        }
    }
    // Every error reaches the server log, not only /readyz.
    emit(StoreEvent::Kind::error, what);
}

void SqliteStore::recovered() {
    if (!retry_writes_) return;
    retry_writes_ = false;
    bool cleared = false;
    {
        std::lock_guard lock(mu_);
        if (!health_permanent_) {
            health_.clear();
            cleared = true;
        }
    }
    if (cleared) emit(StoreEvent::Kind::recovered, "writes succeed again; /readyz is ready");
}

void SqliteStore::probe() {
    // The smallest real write: one page through the WAL, synced as the mode syncs.
    try {
        preloaded_.reset();  // a write: what the constructor read may be stale
        exec("BEGIN IMMEDIATE");
        exec("UPDATE schema_version SET version = version");
        exec("COMMIT");
        recovered();
    } catch (const std::exception& e) {
        if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        fail(e.what(), code_of(e));
    }
}

SqliteStore::AppState& SqliteStore::app_state(const std::string& app_id) {
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

void SqliteStore::load_apps() {
    apps_.clear();
    Stmt s(db_, "SELECT key, name, floor FROM apps");
    while (s.step()) {
        AppState& a = apps_[s.text(1)];
        a.key = s.int64(0);
        a.floor = s.int64(2);
        a.purge = a.floor > 0;
    }
}

void SqliteStore::rollback() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_txn_ = false;
    // Apps created and floors raised in the transaction are gone with it; counts are unknown.
    try {
        load_apps();
    } catch (const std::exception& e) {
        fail(e.what(), code_of(e));
    }
    retention_active_ = true;
}

void SqliteStore::begin_if_needed() {
    if (in_txn_) return;
    preloaded_.reset();  // a write: what the constructor read may be stale
    exec("BEGIN");
    in_txn_ = true;
    txn_started_ = steady::now();
}

void SqliteStore::do_append(const std::vector<core::EntryPtr>& entries, Done done) {
    if (entries.empty()) return done({});
    try {
        begin_if_needed();
        AppState& app = app_state(entries.front()->app_id);
        for (const auto& e : entries) {
            sqlite3_reset(insert_);
            sqlite3_bind_int64(insert_, 1, app.key);
            bind_text(insert_, 2, e->id);
            sqlite3_bind_int64(insert_, 3, core::IdGenerator::timestamp_of(e->id));
            sqlite3_bind_int64(insert_, 4, e->timestamp);
            bind_text(insert_, 5, e->level);
            bind_text(insert_, 6, e->user_id);
            bind_text(insert_, 7, e->message);
            bind_text(insert_, 8, e->metadata);
            bind_text(insert_, 9, e->encoded);
            check(db_, sqlite3_step(insert_), "sqlite insert");
            if (insert_fts_) {
                sqlite3_reset(insert_fts_);
                sqlite3_bind_int64(insert_fts_, 1, sqlite3_last_insert_rowid(db_));
                bind_text(insert_fts_, 2, e->message);
                check(db_, sqlite3_step(insert_fts_), "sqlite insert into the search index");
            }
        }
        sqlite3_clear_bindings(insert_);
        if (app.count >= 0) {
            app.count += static_cast<std::int64_t>(entries.size());
            if (app.count > static_cast<std::int64_t>(options_.retention_entries)) over_keep_ = true;
        }
        pending_.emplace_back(std::move(done), entries.size());
        pending_entries_ += entries.size();
    } catch (const std::exception& e) {
        // The statement failed inside the transaction: it may hold part of this batch, so
        // roll back everything not yet committed and tell every waiting caller.
        fail(e.what(), code_of(e));
        rollback();
        {
            std::lock_guard lock(mu_);
            stats_.entries_failed += pending_entries_ + entries.size();
        }
        const auto error = caller_error(code_of(e));
        for (auto& [d, n] : pending_) d(error);
        pending_.clear();
        pending_entries_ = 0;
        done(error);
    }
}

void SqliteStore::commit() {
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
    {
        std::lock_guard lock(mu_);
        ++stats_.commits;
        if (!result) {
            stats_.entries_written += pending_entries_;
            stats_.entries_removed += txn_removed_;
        } else {
            stats_.entries_failed += pending_entries_;
        }
        stats_.commit_seconds_sum += seconds;
        for (std::size_t i = 0; i < std::size(StoreStats::kCommitBuckets); ++i) {
            if (seconds <= StoreStats::kCommitBuckets[i]) ++stats_.commit_buckets[i];
        }
    }
    txn_removed_ = 0;
    settle(txn_last_ticket_);
    auto pending = std::move(pending_);
    pending_.clear();
    pending_entries_ = 0;
    for (auto& [done, n] : pending) done(result);
}

int SqliteStore::retain_before_commit() {
    const auto now = steady::now();
    if (!over_keep_ && !retention_active_ && now < next_retention_) return 0;
    // What this transaction added, plus one step to catch up: an app at its bound stays there
    // at every commit, and a backlog of deletions shrinks by a step each time.
    std::int64_t budget = static_cast<std::int64_t>(pending_entries_ + options_.retention_step);
    std::uint64_t removed = 0;
    try {
        exec("SAVEPOINT retention");
        bool worked = true;
        // Counting an app costs a step and deletes nothing: a few per commit at most.
        for (int steps = 0; worked && budget > 0 && steps < 8; ++steps) {
            const std::uint64_t before = removed;
            worked = retention_step(budget, removed);
            budget -= std::max<std::int64_t>(1, static_cast<std::int64_t>(removed - before));
        }
        exec("RELEASE retention");
        retention_active_ = worked;
        if (!worked) next_retention_ = now + options_.retention_interval;
        txn_removed_ += removed;
    } catch (const std::exception& e) {
        fail(std::string("retention: ") + e.what(), code_of(e));
        // Some errors make SQLite give up the whole transaction: the appends in it are lost.
        if (sqlite3_get_autocommit(db_) != 0) return code_of(e);
        exec_on(db_, "ROLLBACK TO retention");
        exec_on(db_, "RELEASE retention");
        // The counts moved with the deletions just undone.
        for (auto& [name, app] : apps_) app.count = -1;
        retention_active_ = true;
    }
    return 0;
}

void SqliteStore::do_clear(const std::string& app_id, Done done) {
    auto it = apps_.find(app_id);
    if (it == apps_.end()) return done({});
    try {
        clear_app(it->second);
    } catch (const std::exception& e) {
        fail(e.what(), code_of(e));
        rollback();
        return done(caller_error(code_of(e)));
    }
    pending_.emplace_back(std::move(done), 0);
}

void SqliteStore::clear_app(AppState& app) {
    // Everything stored so far, this app's included, has a seq at most max(seq): raising the
    // floor there hides them at once; retention deletes the rows in small steps later.
    begin_if_needed();
    {
        Stmt s(db_, "UPDATE apps SET floor = (SELECT coalesce(max(seq), 0) FROM entries) WHERE key = ? RETURNING floor");
        s.bind(1, app.key);
        if (s.step()) app.floor = s.int64(0);
    }
    app.count = 0;
    app.purge = true;
    retention_active_ = true;
}

// ---- the reader threads --------------------------------------------------------------------

void SqliteStore::reader_main(Reader& reader) {
    std::unique_lock lock(mu_);
    for (;;) {
        if (readers_stop_) break;
        std::optional<QueryJob> job = take_query();
        if (!job) {
            reader_cv_.wait(lock);
            continue;
        }
        const std::string app = job->query.app_id;
        query_running_.insert(app);
        lock.unlock();
        do_query(reader, *job);
        job.reset();  // what `done` holds goes outside the lock
        lock.lock();
        query_running_.erase(app);
        // The app's next query may run now, on any reader.
        reader_cv_.notify_all();
    }
}

std::optional<SqliteStore::QueryJob> SqliteStore::take_query() {
    for (auto it = query_order_.begin(); it != query_order_.end(); ++it) {
        // One query per app at a time: an app's scans never hold every reader.
        if (query_running_.count(*it)) continue;
        auto queue = query_queues_.find(*it);
        if (queue->second.front().ticket > writes_settled_) continue;
        QueryJob job = std::move(queue->second.front());
        queue->second.pop_front();
        const std::string app = *it;
        query_order_.erase(it);
        // Round robin: an app with more waiting goes to the back of the line.
        if (queue->second.empty()) {
            query_queues_.erase(queue);
        } else {
            query_order_.push_back(app);
        }
        return job;
    }
    return std::nullopt;
}

namespace {

// How many SQLite VM steps between two looks at the clock: a few microseconds of work.
constexpr int kProgressSteps = 1000;

struct Budget {
    steady::time_point deadline;
    bool expired = false;
};

int expire(void* context) {
    auto* budget = static_cast<Budget*>(context);
    if (steady::now() < budget->deadline) return 0;
    budget->expired = true;
    return 1;  // SQLITE_INTERRUPT for the running statement
}

}  // namespace

void SqliteStore::do_query(Reader& reader, QueryJob& job) {
    const Query& q = job.query;
    const std::size_t length = utf8_length(q.search);
    if (length > 0 && length < 3) {
        // The trigram index cannot serve it: it would scan every entry of the app.
        return job.done(std::make_error_code(std::errc::invalid_argument), {});
    }
    QueryResult result;
    std::error_code ec;
    Budget budget{steady::now() + options_.query_timeout};
    // One read transaction: every statement of the query sees the same snapshot.
    exec_on(reader.db, "BEGIN");
    sqlite3_progress_handler(reader.db, kProgressSteps, expire, &budget);
    try {
        result = run_query(reader.db, q);
    } catch (const std::exception& e) {
        result = {};
        if (budget.expired) {
            ec = std::make_error_code(std::errc::timed_out);
            std::lock_guard lock(mu_);
            ++stats_.queries_timed_out;
        } else {
            // A failed read changes nothing on disk: not a sticky error, but the log says it.
            ec = std::make_error_code(std::errc::io_error);
            emit(StoreEvent::Kind::error, std::string("query: ") + e.what());
        }
    }
    sqlite3_progress_handler(reader.db, 0, nullptr, nullptr);
    exec_on(reader.db, "ROLLBACK");  // a read: nothing to keep
    job.done(ec, std::move(result));
}

QueryResult SqliteStore::run_query(sqlite3* db, const Query& q) {
    QueryResult result;
    std::int64_t app_key = 0;
    std::int64_t app_floor = 0;
    {
        Stmt s(db, "SELECT key, floor FROM apps WHERE name = ?");
        s.bind(1, std::string_view(q.app_id));
        if (!s.step()) return result;
        app_key = s.int64(0);
        app_floor = s.int64(1);
    }

    const bool use_fts = has_fts_ && utf8_length(q.search) >= 3;
    std::optional<std::int64_t> before_seq;
    if (q.before_id && use_fts) {
        Stmt s(db, "SELECT seq FROM entries WHERE app = ? AND id = ?");
        s.bind(1, app_key);
        s.bind(2, *q.before_id);
        if (s.step()) before_seq = s.int64(0);
    }

    // Built from fixed fragments; every value is bound.
    std::string sql = std::string("SELECT ") + kColumns;
    if (use_fts) {
        // CROSS JOIN: walk the full-text matches newest first, not the app's whole index.
        sql += " FROM entries_fts f CROSS JOIN entries e ON e.seq = f.rowid WHERE entries_fts MATCH :q";
        if (before_seq) sql += " AND f.rowid < :before_seq";
    } else {
        sql += " FROM entries e WHERE 1";
        if (!q.search.empty()) sql += " AND e.message LIKE :like ESCAPE '\\'";
    }
    sql += " AND e.app = :app AND e.seq > :floor";
    if (q.before_id) sql += " AND e.id < :before";
    if (q.start_time) sql += " AND e.ts >= :start";
    if (q.end_time) sql += " AND e.ts <= :end";
    if (!q.levels.empty()) {
        sql += " AND e.level IN (";
        for (std::size_t i = 0; i < q.levels.size(); ++i) {
            sql += i ? ", ?" : "?";
            sql += std::to_string(kFirstLevelParam + i);
        }
        sql += ")";
    }
    sql += use_fts ? " ORDER BY f.rowid DESC" : " ORDER BY e.id DESC";
    sql += " LIMIT :limit";

    Stmt s(db, sql);
    auto bind_name = [&](const char* name, auto value) {
        const int i = sqlite3_bind_parameter_index(s.get(), name);
        if (i > 0) s.bind(i, value);
    };
    bind_name(":q", std::string_view(fts_phrase(q.search)));
    bind_name(":like", std::string_view(like_pattern(q.search)));
    if (before_seq) bind_name(":before_seq", *before_seq);
    bind_name(":app", app_key);
    bind_name(":floor", app_floor);
    if (q.before_id) bind_name(":before", std::string_view(*q.before_id));
    if (q.start_time) bind_name(":start", *q.start_time);
    if (q.end_time) bind_name(":end", *q.end_time);
    for (std::size_t i = 0; i < q.levels.size(); ++i) {
        s.bind(static_cast<int>(kFirstLevelParam + i), std::string_view(q.levels[i]));
    }
    // Field conditions are checked here, on the metadata of each row SQL selected: then SQL
    // cannot stop at the limit (-1: none), and the scan stops at limit + 1 matches instead.
    bind_name(":limit", q.fields.empty() ? static_cast<std::int64_t>(q.limit + 1) : std::int64_t{-1});
    while (s.step()) {
        core::EntryPtr entry = read_entry(s, q.app_id);
        if (!core::fields_match(entry->metadata, q.fields)) continue;
        if (result.entries.size() == q.limit) {
            result.more = true;
            break;
        }
        result.entries.push_back(std::move(entry));
    }
    return result;
}

bool SqliteStore::retention_step(std::int64_t limit, std::uint64_t& removed) {
    // Inside the open write transaction (a commit's retention), or in one of its own.
    const bool own = !in_txn_;
    auto begin = [&] {
        if (!own) return;
        preloaded_.reset();  // a write: what the constructor read may be stale
        exec("BEGIN");
    };
    auto end = [&] {
        if (own) exec("COMMIT");
    };
    // Count apps not counted yet (after start, or after an error).
    for (auto& [name, app] : apps_) {
        if (app.count >= 0) continue;
        Stmt s(db_, "SELECT count(*) FROM entries WHERE app = ? AND seq > ?");
        s.bind(1, app.key);
        s.bind(2, app.floor);
        app.count = s.step() ? s.int64(0) : 0;
        return true;
    }
    // retention_entries, per app: the oldest go first. Every app over it in one step, so
    // that a commit touching many apps keeps all of them at their bound.
    const auto keep = static_cast<std::int64_t>(options_.retention_entries);
    std::int64_t left = limit;
    bool trimmed = false;
    for (auto& [name, app] : apps_) {
        if (left <= 0) break;
        if (app.count <= keep) continue;
        if (!trimmed) begin();
        trimmed = true;
        const std::int64_t n = std::min(app.count - keep, left);
        Stmt s(db_, "DELETE FROM entries WHERE seq IN "
                    "(SELECT seq FROM entries WHERE app = ? AND seq > ? ORDER BY id LIMIT ?)");
        s.bind(1, app.key);
        s.bind(2, app.floor);
        s.bind(3, n);
        s.step();
        const auto deleted = static_cast<std::int64_t>(sqlite3_changes(db_));
        removed += static_cast<std::uint64_t>(deleted);
        left -= deleted;
        app.count -= deleted;
        if (deleted == 0) app.count = -1;  // the count was wrong: recount
    }
    if (trimmed) {
        end();
        return true;
    }
    over_keep_ = false;
    // Rows hidden by a clear.
    for (auto& [name, app] : apps_) {
        if (!app.purge) continue;
        begin();
        Stmt s(db_, "DELETE FROM entries WHERE seq IN "
                    "(SELECT seq FROM entries WHERE app = ? AND seq <= ? LIMIT ?)");
        s.bind(1, app.key);
        s.bind(2, app.floor);
        s.bind(3, limit);
        s.step();
        const auto deleted = static_cast<std::int64_t>(sqlite3_changes(db_));
        removed += static_cast<std::uint64_t>(deleted);
        end();
        if (deleted < limit) app.purge = false;
        return true;
    }
    // retention_age, on arrival time: rows arrive in seq order, so the oldest are first.
    const std::int64_t cutoff = clock_.now_ms() - options_.retention_age.count();
    {
        Stmt oldest(db_, "SELECT received FROM entries ORDER BY seq LIMIT 1");
        if (!oldest.step() || oldest.int64(0) >= cutoff) return false;
    }
    begin();
    std::unordered_map<std::int64_t, std::int64_t> per_app;
    std::uint64_t aged = 0;
    {
        Stmt s(db_, "DELETE FROM entries WHERE seq IN (SELECT seq FROM entries ORDER BY seq LIMIT ?) "
                    "AND received < ? RETURNING app, seq");
        s.bind(1, limit);
        s.bind(2, cutoff);
        while (s.step()) {
            ++per_app[s.int64(0)];
            ++aged;
        }
    }
    end();
    removed += aged;
    for (auto& [name, app] : apps_) {
        auto it = per_app.find(app.key);
        // Rows below the floor were not counted; recount rather than guess.
        if (it != per_app.end() && app.count >= 0) app.count = app.floor > 0 ? -1 : app.count - it->second;
    }
    return aged > 0;
}

}  // namespace smartlog::storage

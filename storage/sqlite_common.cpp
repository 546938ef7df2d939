// storage/sqlite_common.cpp: the helpers every part of the SQLite store shares.
#include "storage/sqlite_common.hpp"

#include <sqlite3.h>

#include <system_error>

#include "core/entry.hpp"

namespace smartlog::storage {

int code_of(const std::exception& e) {
    const auto* sqlite = dynamic_cast<const SqliteError*>(&e);
    return sqlite ? sqlite->code() : SQLITE_ERROR;
}

bool transient(int code) {
    const int primary = code & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_BUSY;
}

bool damaged(int code) {
    const int primary = code & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

std::error_code caller_error(int code) {
    return std::make_error_code((code & 0xff) == SQLITE_FULL ? std::errc::no_space_on_device
                                                             : std::errc::io_error);
}

std::string after_colon(const std::string& what) {
    const auto colon = what.find(": ");
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

void exec_quietly(sqlite3* db, const char* sql) {
    sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw SqliteError(
            std::string("sqlite: ") + message + " (in: " + std::string(sql).substr(0, 60) + ")",
            sqlite3_extended_errcode(db));
    }
}

void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db),
                          sqlite3_extended_errcode(db));
    }
}

sqlite3* open_read_only(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + path + " for reading: " + why);
    }
    return db;
}

Stmt::Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
        throw SqliteError(std::string("sqlite prepare: ") + sqlite3_errmsg(db),
                          sqlite3_extended_errcode(db));
    }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

void Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

bool Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqliteError(std::string("sqlite step: ") + sqlite3_errmsg(db_),
                      sqlite3_extended_errcode(db_));
}

void Stmt::reset() { sqlite3_reset(stmt_); }

std::int64_t Stmt::int64(int col) { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::text(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

AppTable load_apps(sqlite3* db) {
    AppTable apps;
    Stmt s(db, "SELECT key, name, floor FROM apps");
    while (s.step()) {
        AppState& a = apps[s.text(1)];
        a.key = s.int64(0);
        a.floor = s.int64(2);
        a.purge = a.floor > 0;
    }
    return apps;
}

core::EntryPtr read_entry(Stmt& s) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1));
    if (!p) return nullptr;
    return core::entry_from_encoded(
        std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 1))));
}

namespace {

void message_function(sqlite3_context* context, int, sqlite3_value** argv) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    thread_local std::string message;
    if (!p ||
        !core::message_of_encoded(
            std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))), message)) {
        sqlite3_result_null(context);
        return;
    }
    sqlite3_result_text(context, message.data(), static_cast<int>(message.size()),
                        SQLITE_TRANSIENT);
}

}  // namespace

void register_entry_functions(sqlite3* db) {
    check(db,
          sqlite3_create_function_v2(db, "smartlog_message", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                     message_function, nullptr, nullptr, nullptr),
          "sqlite create function");
}

void create_fts_delete_trigger(sqlite3* db) {
    exec(db,
         "CREATE TEMP TRIGGER IF NOT EXISTS entries_fts_delete AFTER DELETE ON main.entries "
         "BEGIN INSERT INTO entries_fts(entries_fts, rowid, message) "
         "VALUES ('delete', old.seq, smartlog_message(old.encoded)); END");
}

}  // namespace smartlog::storage

// storage/sqlite_query.cpp: the query builder and its execution (docs/storage.md, "Queries").
#include "storage/sqlite_query.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <optional>

#include "core/field_query.hpp"

namespace smartlog::storage {

namespace {

using steady = std::chrono::steady_clock;

// Levels are bound as ?100, ?101...: numbered apart from the named parameters.
constexpr std::size_t kFirstLevelParam = 100;

std::size_t utf8_length_of(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
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

// Builds and runs the SQL of `q`; throws SqliteError (SQLITE_INTERRUPT past the budget).
QueryResult select_entries(sqlite3* db, const Query& q, bool full_text) {
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

    const core::Filter& f = q.filter;
    const bool use_fts = full_text && utf8_length(f.search) >= 3;
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
        sql +=
            " FROM entries_fts f CROSS JOIN entries e ON e.seq = f.rowid WHERE entries_fts MATCH "
            ":q";
        if (before_seq) sql += " AND f.rowid < :before_seq";
    } else {
        sql += " FROM entries e WHERE 1";
        if (!f.search.empty()) sql += " AND smartlog_message(e.encoded) LIKE :like ESCAPE '\\'";
    }
    sql += " AND e.app = :app AND e.seq > :floor";
    if (q.before_id) sql += " AND e.id < :before";
    if (f.start_time) sql += " AND e.ts >= :start";
    if (f.end_time) sql += " AND e.ts <= :end";
    if (!f.levels.empty()) {
        sql += " AND e.level IN (";
        for (std::size_t i = 0; i < f.levels.size(); ++i) {
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
    bind_name(":q", std::string_view(fts_phrase(f.search)));
    bind_name(":like", std::string_view(like_pattern(f.search)));
    if (before_seq) bind_name(":before_seq", *before_seq);
    bind_name(":app", app_key);
    bind_name(":floor", app_floor);
    if (q.before_id) bind_name(":before", std::string_view(*q.before_id));
    if (f.start_time) bind_name(":start", *f.start_time);
    if (f.end_time) bind_name(":end", *f.end_time);
    for (std::size_t i = 0; i < f.levels.size(); ++i) {
        s.bind(static_cast<int>(kFirstLevelParam + i), std::string_view(f.levels[i]));
    }
    // Field conditions are checked here, on the metadata of each row SQL selected: then SQL
    // cannot stop at the limit (-1: none), and the scan stops at limit + 1 matches instead.
    bind_name(":limit",
              f.fields.empty() ? static_cast<std::int64_t>(q.limit + 1) : std::int64_t{-1});
    while (s.step()) {
        core::EntryPtr entry = read_entry(s);
        if (!entry || !core::fields_match(entry->metadata(), f.fields)) continue;
        if (result.entries.size() == q.limit) {
            result.more = true;
            break;
        }
        result.entries.push_back(std::move(entry));
    }
    return result;
}

}  // namespace

std::size_t utf8_length(std::string_view s) { return utf8_length_of(s); }

QueryOutcome run_query(sqlite3* db, const Query& q, bool full_text,
                       std::chrono::milliseconds timeout) {
    QueryOutcome out;
    const std::size_t length = utf8_length(q.filter.search);
    if (length > 0 && length < 3) {
        // The trigram index cannot serve it: it would scan every entry of the app.
        out.error = std::make_error_code(std::errc::invalid_argument);
        return out;
    }
    Budget budget{steady::now() + timeout};
    // One read transaction: every statement of the query sees the same snapshot.
    exec_quietly(db, "BEGIN");
    sqlite3_progress_handler(db, kProgressSteps, expire, &budget);
    try {
        out.result = select_entries(db, q, full_text);
    } catch (const std::exception& e) {
        out.result = {};
        if (budget.expired) {
            out.error = std::make_error_code(std::errc::timed_out);
        } else {
            out.error = std::make_error_code(std::errc::io_error);
            out.failure = e.what();
        }
    }
    sqlite3_progress_handler(db, 0, nullptr, nullptr);
    exec_quietly(db, "ROLLBACK");  // a read: nothing to keep
    return out;
}

}  // namespace smartlog::storage

// storage/sqlite_restore.cpp: load_recent's reading (docs/storage.md, "Restart").
#include "storage/sqlite_restore.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <thread>

#include "storage/restore_scan.hpp"

namespace smartlog::storage {

namespace {

// One scan of the table, newest first: app and seq to pick the row, then the entry, which is
// its encoded text (its id is read from there too).
constexpr const char* kScanSql =
    "SELECT app, seq, encoded FROM entries WHERE seq BETWEEN ? AND ? ORDER BY seq DESC";

}  // namespace

Histories read_recent(sqlite3* db, const std::string& path, const AppTable& app_table,
                      std::size_t per_app, SqliteOptions::RestoreRead how) {
    Histories out;
    if (per_app == 0 || app_table.empty()) return out;
    std::vector<RestoreScan::App> apps;
    apps.reserve(app_table.size());
    for (const auto& [name, app] : app_table) apps.push_back({name, app.key, app.floor});

    std::int64_t lo = 0, hi = 0;
    {
        Stmt first(db, "SELECT seq FROM entries ORDER BY seq LIMIT 1");
        if (!first.step()) return out;
        lo = first.int64(0);
        Stmt last(db, "SELECT seq FROM entries ORDER BY seq DESC LIMIT 1");
        hi = last.step() ? last.int64(0) : lo;
    }
    // hi - lo + 1 bounds the rows kept: scanning them all beats one index query per app (an
    // index walk, then a table lookup per row, in no useful order) unless most rows are older
    // than the histories want.
    const double wanted = static_cast<double>(apps.size()) * static_cast<double>(per_app);
    const bool scan =
        how == SqliteOptions::RestoreRead::scan || (how == SqliteOptions::RestoreRead::automatic &&
                                                    static_cast<double>(hi - lo) + 1 <= 2 * wanted);

    // Reads the newest per_app entries of apps [from, to) through `db`, one index query each.
    auto per_app_query = [per_app, &apps](sqlite3* conn, std::size_t from, std::size_t to,
                                          const std::vector<std::size_t>* only, Histories& into) {
        Stmt s(conn,
               std::string("SELECT ") + kColumns +
                   " FROM entries e WHERE e.app = ? AND e.seq > ? ORDER BY e.id DESC LIMIT ?");
        for (std::size_t k = from; k < to; ++k) {
            const auto& app = apps[only ? (*only)[k] : k];
            sqlite3_reset(s.get());
            s.bind(1, app.key);
            s.bind(2, app.floor);
            s.bind(3, static_cast<std::int64_t>(per_app));
            std::vector<core::EntryPtr> entries;
            entries.reserve(std::min<std::size_t>(per_app, 4096));
            while (s.step()) {
                if (core::EntryPtr e = read_entry(s)) entries.push_back(std::move(e));
            }
            if (entries.empty()) continue;
            std::reverse(entries.begin(), entries.end());
            into.emplace_back(app.name, std::move(entries));
        }
    };

    RestoreScan plan(scan ? apps : std::vector<RestoreScan::App>{}, per_app);
    auto scan_range = [&plan](sqlite3* conn, std::int64_t from, std::int64_t to,
                              RestoreScan::Part& part) {
        Stmt s(conn, kScanSql);
        s.bind(1, from);
        s.bind(2, to);
        sqlite3_stmt* st = s.get();
        while (s.step()) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
            const std::string_view encoded(text ? text : "",
                                           static_cast<std::size_t>(sqlite3_column_bytes(st, 2)));
            const RestoreScan::Take take =
                plan.offer(part, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           core::id_of_encoded(encoded));
            if (!take.into) continue;
            // Rows whose text is not an entry's (written by hand) are left out.
            if (core::EntryPtr e = core::entry_from_encoded(encoded)) {
                take.into->push_back(std::move(e));
            }
        }
    };

    // Building a million entries costs more than reading them: a second read-only connection
    // on a helper thread does half of the work (the 1,000 x 1,000 restart goal of
    // docs/performance.md).
    sqlite3* reader = nullptr;
    const bool two =
        (scan ? hi > lo : apps.size() >= 2) &&
        sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) == SQLITE_OK;
    if (!two) {
        sqlite3_close(reader);
        reader = nullptr;
    } else {
        exec_quietly(reader, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
    }
    std::vector<RestoreScan::Part> parts;
    Histories second;
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
            scan_range(db, lo, two ? mid : hi, parts[1]);
        } else {
            per_app_query(db, 0, two ? half : apps.size(), nullptr, out);
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
    per_app_query(db, 0, result.unordered.size(), &result.unordered, out);
    return out;
}

Histories read_recent(const std::string& path, const AppTable& apps, std::size_t per_app,
                      SqliteOptions::RestoreRead how) {
    sqlite3* db = open_read_only(path);
    exec_quietly(db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
    try {
        Histories out = read_recent(db, path, apps, per_app, how);
        sqlite3_close(db);
        return out;
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
}

}  // namespace smartlog::storage

// storage/sqlite_retention.cpp: the retention steps (docs/storage.md, "Clear and retention").
#include "storage/sqlite_retention.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace smartlog::storage {

void SqliteRetention::added(AppState& app, std::size_t n) {
    if (app.count < 0) return;
    app.count += static_cast<std::int64_t>(n);
    if (app.count > static_cast<std::int64_t>(rules_.entries)) over_keep_ = true;
}

bool SqliteRetention::step(std::int64_t limit, std::uint64_t& removed, bool own) {
    // Inside the open write transaction (a commit's retention), or in one of its own.
    auto begin = [&] {
        if (!own) return;
        ++transactions_;
        exec(db_, "BEGIN");
    };
    auto end = [&] {
        if (own) exec(db_, "COMMIT");
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
    const auto keep = static_cast<std::int64_t>(rules_.entries);
    std::int64_t left = limit;
    bool trimmed = false;
    for (auto& [name, app] : apps_) {
        if (left <= 0) break;
        if (app.count <= keep) continue;
        if (!trimmed) begin();
        trimmed = true;
        const std::int64_t n = std::min(app.count - keep, left);
        Stmt s(db_,
               "DELETE FROM entries WHERE seq IN "
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
        Stmt s(db_,
               "DELETE FROM entries WHERE seq IN "
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
    const std::int64_t cutoff = clock_.now_ms() - rules_.age.count();
    {
        Stmt oldest(db_, "SELECT received FROM entries ORDER BY seq LIMIT 1");
        if (!oldest.step() || oldest.int64(0) >= cutoff) return false;
    }
    begin();
    std::unordered_map<std::int64_t, std::int64_t> per_app;
    std::uint64_t aged = 0;
    {
        Stmt s(db_,
               "DELETE FROM entries WHERE seq IN (SELECT seq FROM entries ORDER BY seq LIMIT ?) "
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
        if (it != per_app.end() && app.count >= 0)
            app.count = app.floor > 0 ? -1 : app.count - it->second;
    }
    return aged > 0;
}

}  // namespace smartlog::storage

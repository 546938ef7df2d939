// storage/sqlite_retention.hpp: retention (docs/storage.md, "Clear and retention"): deleting,
// in small steps, what is past retention_entries per app, rows hidden by a clear, and rows past
// retention_age; and the pacing of those steps. Plain and synchronous: the writer calls it
// inside its transactions, the worker between them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/clock.hpp"
#include "storage/sqlite_common.hpp"

namespace smartlog::storage {

struct RetentionRules {
    std::uint64_t entries = 100'000;                        // per app
    std::chrono::milliseconds age{7ll * 24 * 3600 * 1000};  // by arrival time
    std::chrono::milliseconds interval{1000};  // how often retention looks for work when idle
    std::size_t step = 2000;                   // rows deleted per step
};

class SqliteRetention {
public:
    using steady = std::chrono::steady_clock;

    // `db` is the writing connection and `apps` the writer's table; both outlive this. `clock`
    // gives the time for rules.age.
    SqliteRetention(sqlite3* db, AppTable& apps, RetentionRules rules, const core::Clock& clock)
        : db_(db), apps_(apps), rules_(rules), clock_(clock) {}

    // One step, deleting at most `limit` rows (or counting one app not counted yet), in a
    // transaction of its own when `own_transaction`, else in the caller's. False when there
    // was nothing to do. Adds what it deleted to `removed`. Throws SqliteError.
    bool step(std::int64_t limit, std::uint64_t& removed, bool own_transaction);

    // `n` entries were added to `app`: counts it and notes an app over its bound.
    void added(AppState& app, std::size_t n);

    // Pacing. Retention is active (steps follow each other) from wake() until a step finds
    // nothing (rest), then waits rules.interval.
    bool due(steady::time_point now) const noexcept {
        return over_keep_ || active_ || now >= next_;
    }
    bool active() const noexcept { return active_; }
    steady::time_point next() const noexcept { return next_; }
    void wake() noexcept { active_ = true; }
    void rest(steady::time_point now) noexcept {
        active_ = false;
        next_ = now + rules_.interval;
    }
    // Until `when`, retention waits (for a start that restores histories first).
    void rest_until(steady::time_point when) noexcept {
        active_ = false;
        next_ = when;
    }

    const RetentionRules& rules() const noexcept { return rules_; }
    // Transactions of its own begun so far (each is a write).
    std::uint64_t transactions() const noexcept { return transactions_; }

private:
    sqlite3* db_;
    AppTable& apps_;
    RetentionRules rules_;
    const core::Clock& clock_;
    bool active_ = true;
    steady::time_point next_{};
    bool over_keep_ = false;  // an append took an app over rules.entries
    std::uint64_t transactions_ = 0;
};

}  // namespace smartlog::storage

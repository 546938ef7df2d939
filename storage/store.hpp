// storage/store.hpp: where entries go to outlive the process (docs/storage.md).
// The network thread calls every method; implementations must not block it: durable ones hand
// the work to their own thread and run `done` from there (callers re-post it as they need).
// The exceptions, said at each: load_recent (start-up) and close (shutdown) block.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/entry.hpp"
#include "core/field_query.hpp"

namespace smartlog::storage {

// What GET /api/v1/logs asks for: one app's entries, newest first.
struct Query {
    std::string app_id;
    std::vector<std::string> levels;  // normalised names; empty: every level
    std::optional<std::int64_t> start_time;  // inclusive, ms, on the entry's timestamp
    std::optional<std::int64_t> end_time;    // inclusive
    std::string search;  // case-insensitive substring of the message; empty: any
    std::vector<core::FieldCondition> fields;  // metadata conditions (core/field_query.hpp)
    std::size_t limit = 100;  // REQUIRES: > 0
    std::optional<std::string> before_id;  // only entries that arrived before this one
};

struct QueryResult {
    std::vector<core::EntryPtr> entries;  // newest first
    bool more = false;  // older matching entries remain (page on with before = last id)
};

// Figures for /metrics. Every field is a snapshot, safe to read from any thread.
struct StoreStats {
    std::uint64_t commits = 0;
    std::uint64_t entries_written = 0;
    std::uint64_t entries_dropped = 0;  // refused because the store's queue was full
    std::uint64_t entries_removed = 0;  // by clear and retention
    std::uint64_t queued_entries = 0;   // waiting for the storage thread
    std::uint64_t errors = 0;
    // Commit latency histogram: counts of commits that took at most kCommitBuckets[i] seconds.
    static constexpr double kCommitBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025,  0.05,  0.1,    0.25,  1.0};
    std::uint64_t commit_buckets[std::size(kCommitBuckets)] = {};
    double commit_seconds_sum = 0;
};

class Store {
public:
    using Done = std::function<void(std::error_code)>;
    using QueryDone = std::function<void(std::error_code, QueryResult)>;

    virtual ~Store() = default;

    // Records `entries` (all of one app, in arrival order). `done` runs once they are as
    // durable as the store promises (for a memory store: at once), with an error when they
    // were not stored (the queue was full, or the disk failed).
    virtual void append(std::vector<core::EntryPtr> entries, Done done) = 0;
    // Forgets every entry of `app_id` that was appended before this call.
    virtual void clear(const std::string& app_id, Done done) = 0;
    // At start: the newest `per_app` entries of every app, oldest first. Blocking.
    virtual std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> load_recent(
        std::size_t per_app) = 0;
    // Searches everything kept; sees every entry appended before the call. `done` runs on the
    // storage thread. A store that keeps nothing fails with std::errc::not_supported.
    virtual void query(Query q, QueryDone done) = 0;
    // False after an error that the store cannot recover from by itself (shown by /readyz).
    virtual bool healthy() const = 0;
    // Why the store is unhealthy; empty when healthy. Any thread.
    virtual std::string health_message() const = 0;
    // True while the storage thread has more queued than it may take: callers should push back
    // (HTTP 429). Any thread.
    virtual bool backlogged() const = 0;
    virtual StoreStats stats() const = 0;
    // At shutdown: commits everything queued, runs the pending callbacks and stops the storage
    // thread. Blocking; later calls to append fail. Idempotent.
    virtual void close() = 0;
};

}  // namespace smartlog::storage

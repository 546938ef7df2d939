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
#include "core/filter.hpp"

namespace smartlog::storage {

// What GET /api/v1/logs asks for: one app's entries that `filter` accepts (the same filter a
// WebSocket viewer sets, docs/protocol.md "Filters"), newest first.
struct Query {
    std::string app_id;
    core::Filter filter;
    std::size_t limit = 100;               // REQUIRES: > 0
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
    // Given to append but not stored: their transaction failed (a disk error) or they came
    // after close. Their `done` was told; a full queue never counts here (append never
    // refuses for it, see backlogged()).
    std::uint64_t entries_failed = 0;
    std::uint64_t entries_removed = 0;      // by clear and retention
    std::uint64_t queued_entries = 0;       // waiting for the storage thread
    std::uint64_t queued_entries_peak = 0;  // the most ever waiting at once
    std::uint64_t errors = 0;
    std::uint64_t queries_timed_out = 0;  // ended by the query time budget
    // Commit latency histogram: counts of commits that took at most kCommitBuckets[i] seconds.
    static constexpr double kCommitBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025,  0.05,  0.1,    0.25,  1.0};
    std::uint64_t commit_buckets[std::size(kCommitBuckets)] = {};
    double commit_seconds_sum = 0;
};

// Something the server log should say about the store: every storage error, every recovery
// from one, and the start and end of a backlog. Delivered to SqliteOptions::on_event.
struct StoreEvent {
    enum class Kind {
        error,      // a write, commit, retention step or query failed (message: SQLite's words)
        recovered,  // writes work again after a disk error
        backlog,    // the queue reached its high-water mark: ingest should wait (backlogged())
        drained,    // the backlog is over
    };
    Kind kind = Kind::error;
    std::string message;  // one line, without the kind
};

class Store {
public:
    using Done = std::function<void(std::error_code)>;
    using QueryDone = std::function<void(std::error_code, QueryResult)>;

    virtual ~Store() = default;

    // Records `entries` (all of one app, in arrival order). `done` runs once they are as
    // durable as the store promises (for a memory store: at once), with an error when they
    // were not stored (the disk failed, or the store is closed). A long queue is never a
    // reason to refuse: entries given here are written, and close() writes what is still
    // queued. Callers keep the queue bounded by not admitting more while backlogged().
    virtual void append(std::vector<core::EntryPtr> entries, Done done) = 0;
    // Forgets every entry of `app_id` that was appended before this call.
    virtual void clear(const std::string& app_id, Done done) = 0;
    using Histories = std::vector<std::pair<std::string, std::vector<core::EntryPtr>>>;
    using Loaded = std::function<void(std::error_code, Histories)>;

    // At start: the newest `per_app` entries of every app, oldest first. Blocking.
    virtual Histories load_recent(std::size_t per_app) = 0;
    // At start, instead of load_recent: the same histories, handed to `done` once, from a
    // thread of the store, while the caller goes on. They may or may not hold what is appended
    // to an app after this call, so a caller must not append to an app (nor clear it) before
    // it holds that app's history, from here or from a query(). On a failure `done` gets the
    // error and what was read. Not blocking (close() waits for the read).
    virtual void load_recent_async(std::size_t per_app, Loaded done) = 0;
    // The apps whose entries load_recent and load_recent_async give, as of the start: some
    // may hold none.
    virtual std::vector<std::string> stored_apps() const = 0;
    // Searches everything kept; sees every entry appended before the call. `done` runs on a
    // thread of the store. A store that keeps nothing fails with std::errc::not_supported; a
    // query that runs out of its time budget with std::errc::timed_out; a `search` of 1 or 2
    // characters, which no index serves, with std::errc::invalid_argument (docs/storage.md,
    // "Queries").
    virtual void query(Query q, QueryDone done) = 0;
    // False after an error that the store cannot recover from by itself (shown by /readyz).
    virtual bool healthy() const = 0;
    // Why the store is unhealthy; empty when healthy. Any thread.
    virtual std::string health_message() const = 0;
    // The high-water signal: true once the queue reaches its bound, and until it has drained
    // to half of it. While it is true, callers must stop admitting entries (stop reading
    // producers, HTTP 429): that, not append, is what bounds the queue's memory, so it may
    // overshoot by the one message admitted before the signal rose. Any thread.
    virtual bool backlogged() const = 0;
    virtual StoreStats stats() const = 0;
    // At shutdown: commits everything queued, however long the queue, runs the pending
    // callbacks (queries not yet started fail with std::errc::operation_canceled) and stops
    // the store's threads. Blocking; later calls to append fail. Idempotent.
    virtual void close() = 0;
};

}  // namespace smartlog::storage

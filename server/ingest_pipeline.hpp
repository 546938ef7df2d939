// server/ingest_pipeline.hpp: the one admission path of every ingest but the WebSocket one:
// HTTP JSON/NDJSON/text, OTLP, Loki, syslog. A decoded batch passes storage backpressure, the
// rate limits, then goes to the hub; the outcome comes back for the caller to render in its own
// protocol (native ack, OTLP partialSuccess, Loki 204, nothing for syslog). Keep every check on
// this path here, so all of them hold for every protocol alike. Net thread only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "protocol/messages.hpp"
#include "server/ingest_counters.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

// Who sends, over what. The caller authenticated and authorised `user_id` for write on `app_id`.
struct IngestSource {
    const std::string& app_id;
    const std::string& user_id;
    IngestProtocol protocol;
    IngestFormat format;
};

struct IngestOutcome {
    enum class Status {
        stored,  // the accepted entries are stored (as durability promises); `rejected` were not
        backlogged,     // storage is behind: nothing taken, retry after `retry_after`
        rate_limited,   // over a rate limit: nothing taken, retry after `retry_after`
        too_large,      // more entries than a rate budget can ever hold: never admitted whole
        storage_full,   // sync durability: the disk is full, nothing stored
        storage_error,  // sync durability: the store failed, nothing stored
        unavailable,    // cluster mode: Redis did not take them, nothing stored; retry
        no_access,      // a new app beyond max_apps (open mode): nothing taken
    };
    Status status = Status::stored;
    std::size_t accepted = 0;
    std::vector<protocol::EntryRejection> rejected;
    std::chrono::milliseconds retry_after{0};
    std::string message;  // for the client when not stored
    // backlogged, rate_limited, too_large: the batch, given back untouched for a caller that
    // retries it later (syslog over TCP) rather than lose it; unavailable: its accepted entries,
    // for syslog over TCP only (the others' clients retry).
    protocol::LogsRequest refused;

    bool stored() const noexcept { return status == Status::stored; }
    // Whole seconds for a Retry-After header, rounded up (at least 1).
    std::int64_t retry_after_seconds() const noexcept;
};

// Admits `logs` (already decoded and validated entry by entry) for `source` and stores the
// accepted entries. `done` runs exactly once on the net thread, possibly before this returns.
// Counts the batch in ctx.stats.ingest and the app's counters.
void ingest_entries(ServerContext& ctx, const IngestSource& source, protocol::LogsRequest logs,
                    std::function<void(IngestOutcome)> done);

// The HTTP status of an outcome that was not stored (429, 413, 507 or 503), and the
// Retry-After header it calls for, if any.
http::status http_status(const IngestOutcome& outcome);
void set_retry_after(HttpResponse& res, const IngestOutcome& outcome);

}  // namespace smartlog::server

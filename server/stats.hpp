// server/stats.hpp: server-wide counters for metrics (docs/protocol.md, "Metrics") and /metrics.
// Net thread only.
#pragma once

#include <cstdint>

#include "server/ingest_counters.hpp"

namespace smartlog::server {

struct Stats {
    std::uint64_t bytes_received = 0;  // from clients, WebSocket payloads and HTTP bodies
    std::uint64_t bytes_sent = 0;
    std::uint64_t open_connections = 0;  // WebSocket and HTTP
    std::uint64_t ws_sessions = 0;
    std::uint64_t frames_rejected = 0;       // client messages answered with `error`
    std::uint64_t entries_dropped = 0;       // live entries not sent to lagging viewers
    std::uint64_t frames_skipped = 0;        // shared metrics frames not sent to lagging viewers
    std::uint64_t control_rate_limited = 0;  // control messages refused by control_rate_limit
    std::uint64_t connections_refused = 0;   // accepted over max_connections, answered 503
    std::uint64_t refusals_lingering = 0;    // refused sockets not closed yet (bounded)
    std::uint64_t http_timeouts = 0;         // HTTP connections cut by header or request deadline
    std::uint64_t connections_refused_per_address =
        0;                                    // of those refused: max_connections_per_address
    std::uint64_t connections_displaced = 0;  // waiting connections closed for a newer one
    IngestCounterTable ingest;  // per protocol and format (server/ingest_pipeline.hpp)
};

}  // namespace smartlog::server

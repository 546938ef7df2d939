// server/stats.hpp: server-wide counters for metrics (SPEC 5) and /metrics. Net thread only.
#pragma once

#include <cstdint>

namespace smartlog::server {

struct Stats {
    std::uint64_t bytes_received = 0;  // from clients, WebSocket payloads and HTTP bodies
    std::uint64_t bytes_sent = 0;
    std::uint64_t open_connections = 0;  // WebSocket and HTTP
    std::uint64_t ws_sessions = 0;
    std::uint64_t frames_rejected = 0;  // client messages answered with `error`
    std::uint64_t entries_dropped = 0;  // live entries not sent to lagging viewers
};

}  // namespace smartlog::server

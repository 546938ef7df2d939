// core/metrics.hpp: PerformanceMetrics as the seed defines it (docs/protocol.md, "Metrics"), plus
// process figures.
#pragma once

#include <cstdint>

namespace smartlog::core {

struct PerformanceMetrics {
    std::int64_t timestamp = 0;  // ms since epoch when sampled
    struct {
        double usage = 0;  // host busy percent over the last interval
        std::uint32_t cores = 0;
    } cpu;
    struct {
        std::uint64_t used = 0, free = 0, total = 0;  // host bytes
    } memory;
    struct {
        std::uint64_t used = 0, free = 0, total = 0;  // bytes of the data_dir filesystem
    } disk;
    struct {
        std::uint64_t bytes_received = 0, bytes_sent = 0;  // by this server, since start
        std::uint64_t connections = 0;                     // open client connections
    } network;
    std::uint64_t active_connections = 0;  // authenticated WebSocket connections on the app
    double message_rate = 0;               // entries/s ingested for the app
    double error_rate = 0;                 // error and fatal entries/s for the app
    // Extra: entries of the app the server refused since it started (invalid, too large or over
    // a rate limit), so that viewers see what a producer that reads no acks lost.
    std::uint64_t rejected_entries = 0;
    struct {
        std::uint64_t rss_bytes = 0;
        double cpu_seconds = 0;
        double uptime_seconds = 0;
    } process;
};

}  // namespace smartlog::core

// server/ingest_counters.hpp: entries ingested per protocol and format, for /metrics
// (smartlog_ingest_*_total{protocol, format}). Net thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace smartlog::server {

enum class IngestProtocol : std::uint8_t { native, text, otlp, loki, syslog };
enum class IngestFormat : std::uint8_t { json, ndjson, plain, protobuf, tcp, udp };
inline constexpr std::size_t kIngestProtocols = 5;
inline constexpr std::size_t kIngestFormats = 6;

struct IngestCounters {
    std::uint64_t requests = 0;  // requests (HTTP), reads (syslog TCP) or datagrams handled
    std::uint64_t entries = 0;   // entries accepted and stored
    std::uint64_t rejected = 0;  // entries refused alone (size limits, validation)
    std::uint64_t refused =
        0;  // entries of requests refused whole (backpressure, rate limits, errors)
    std::uint64_t malformed = 0;  // syslog: lines that were not syslog, kept as plain messages
    std::uint64_t dropped = 0;    // syslog UDP: datagrams dropped under backpressure or rate limits
};

struct IngestCounterTable {
    std::array<std::array<IngestCounters, kIngestFormats>, kIngestProtocols> cells{};
    IngestCounters& at(IngestProtocol p, IngestFormat f) {
        return cells[static_cast<std::size_t>(p)][static_cast<std::size_t>(f)];
    }
    const IngestCounters& at(IngestProtocol p, IngestFormat f) const {
        return cells[static_cast<std::size_t>(p)][static_cast<std::size_t>(f)];
    }
};

constexpr std::string_view ingest_protocol_name(IngestProtocol p) noexcept {
    constexpr std::string_view kNames[] = {"native", "text", "otlp", "loki", "syslog"};
    return kNames[static_cast<std::size_t>(p)];
}
constexpr std::string_view ingest_format_name(IngestFormat f) noexcept {
    constexpr std::string_view kNames[] = {"json", "ndjson", "plain", "protobuf", "tcp", "udp"};
    return kNames[static_cast<std::size_t>(f)];
}

}  // namespace smartlog::server

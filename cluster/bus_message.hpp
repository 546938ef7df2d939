// cluster/bus_message.hpp: the bytes of the bus (docs/cluster.md, "Messages"). A batch of
// entries is encoded once by the producer's node (encode_payload), appended and published by
// the Redis function as one message with a header the function writes:
//   <kind><epoch> <first> <count> <time_ms> <app length>:<app>\n<body>
// kind 'B': a batch; body = the payload; first..first+count-1 are its entries' offsets.
// kind 'C': a clear; epoch is the new one, first the next offset, count what the notice says,
// body the user who cleared.
// kind 'M': a producer's metrics (send_metrics), published by its node, not kept: epoch, first
// and count 0, time the metrics' timestamp, body <user length>:<user><metrics JSON>.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/bus.hpp"

namespace smartlog::cluster {

struct BusMessage {
    char kind = 0;  // 'B', 'C' or 'M'
    std::string_view epoch;
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    std::int64_t time_ms = 0;
    std::string_view app;
    std::string_view body;
};

// The header and body of `text` (views into it), or nullopt when it is not a bus message.
std::optional<BusMessage> parse_bus_message(std::string_view text) noexcept;

// The payload of a batch: who sent it and its entries' fields (timestamps set).
// REQUIRES: every entry has a timestamp.
std::string encode_payload(std::string_view user_id,
                           const std::vector<protocol::IncomingEntry>& entries);

// The entries of batch message `m` from offset `from` on (m.first when smaller), with their
// cluster ids (core/cluster_id.hpp) for `app` in m.epoch; nullopt when the payload is damaged or
// does not hold m.count entries.
std::optional<BusEntries> decode_batch(const BusMessage& m, std::uint64_t from);

// A metrics message ('M') for `app`.
std::string encode_app_metrics(std::string_view app, std::string_view user_id,
                               std::string_view metrics, std::int64_t timestamp);

struct AppMetrics {
    std::string_view user_id;
    std::string_view metrics;  // JSON text
};
// The user and metrics of metrics message `m` (views into its body); nullopt when damaged.
std::optional<AppMetrics> decode_app_metrics(const BusMessage& m) noexcept;

}  // namespace smartlog::cluster

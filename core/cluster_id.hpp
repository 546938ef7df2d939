// core/cluster_id.hpp: entry ids of cluster mode (docs/cluster.md, "Ids"). Still UUIDv7 strings
// (RFC 9562), but every field after the version is meaningful: the app's monotonic time, the
// entry's offset in the app, and a tag of (app, epoch). Any node can then place an `afterId`
// without a lookup, and tell an id of another epoch (a clear, or Redis lost its data).
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smartlog::core {

struct ClusterId {
    std::int64_t time_ms = 0;  // 48 bits
    std::uint64_t offset = 0;  // 42 bits: the entry's place in its app, from 1
    std::uint32_t tag = 0;     // epoch_tag(app, epoch)
};

// Offsets are kept below this (42 bits): about 4.4 * 10^12 entries per app.
inline constexpr std::uint64_t kClusterOffsetLimit = 1ull << 42;

// 32 bits of FNV-1a over the app id and its epoch: what an id says of its epoch.
std::uint32_t epoch_tag(std::string_view app_id, std::string_view epoch) noexcept;

// The id of `parts`. Ids of one app compare (as strings) as (time_ms, offset) do, so a history
// sorted by offset with a time that never goes back is sorted by id.
// REQUIRES: 0 <= time_ms < 2^48, offset < kClusterOffsetLimit.
std::string make_cluster_id(const ClusterId& parts);

// The parts of `id`, or nullopt when it is not a UUIDv7 string.
std::optional<ClusterId> parse_cluster_id(std::string_view id) noexcept;

}  // namespace smartlog::core

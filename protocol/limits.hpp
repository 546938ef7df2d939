// protocol/limits.hpp: the size limits that decoding enforces (docs/protocol.md, "Limits").
#pragma once

#include <cstddef>

namespace smartlog::protocol {

// The longest user, app or entry id and the longest token a client may send, in bytes, by every
// way in (WebSocket, HTTP, Loki, syslog listeners).
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxTokenBytes = 1024;

struct Limits {
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_metadata_bytes = 16 * 1024;
};

}  // namespace smartlog::protocol

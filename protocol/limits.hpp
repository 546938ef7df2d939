// protocol/limits.hpp: the size limits that decoding enforces (docs/protocol.md, "Limits").
#pragma once

#include <cstddef>

namespace smartlog::protocol {

struct Limits {
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_metadata_bytes = 16 * 1024;
};

}  // namespace smartlog::protocol

// core/entry.hpp: one log entry (docs/protocol.md) as the server keeps it.
// Immutable once built; shared between histories, batches and the storage thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace smartlog::core {

struct Entry {
    std::string id;              // UUIDv7, time-ordered: comparing ids compares arrival order
    std::int64_t timestamp = 0;  // ms since the Unix epoch
    std::string level;           // normalised (core/level.hpp)
    std::string message;
    std::string metadata;    // the metadata as JSON text; empty when the producer gave none
    bool encrypted = false;  // the message is ciphertext (the original library's encryption mode)
    std::string encryption;  // its keys as a JSON object text; empty when none were sent
    std::string app_id;
    std::string user_id;
    // The entry encoded once as a LogEntry JSON object, so that fan-out copies bytes, not fields.
    std::string encoded;
};

using EntryPtr = std::shared_ptr<const Entry>;

}  // namespace smartlog::core

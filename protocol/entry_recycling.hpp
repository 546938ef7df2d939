// protocol/entry_recycling.hpp: IncomingEntry objects kept, with their strings' buffers, once
// an ingest is done with them, so that the next `logs` message is read into those buffers:
// without it each entry costs two allocations (its message and its metadata) that live only
// until the entry is built (docs/performance.md, "One allocation per entry").
// Per thread: the network thread reads and ingests; another thread has its own, unused, store.
#pragma once

#include <vector>

#include "protocol/messages.hpp"

namespace smartlog::protocol {

// Keeps what it can of `used`: at most 1,024 entries per thread, and none whose strings hold
// more than 2 KiB (one long message must not keep its buffer for ever).
void recycle_entries(std::vector<IncomingEntry>&& used) noexcept;

// Gives `scratch` the buffers of a kept entry, if there is one, and drops its own. The values
// are left as they were: the reader resets them before it reads into them.
void reuse_recycled_buffers(IncomingEntry& scratch) noexcept;

// Frees every entry this thread keeps (tests start from an empty store with it).
void drop_recycled_entries() noexcept;

}  // namespace smartlog::protocol

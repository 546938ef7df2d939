// server/memory_release.hpp: gives memory freed after a spike back to the system. glibc's
// malloc keeps freed heap for reuse and returns it only from the top of each arena, so after a
// spike (slow viewers' queues, large history answers) the process kept its peak RSS for good
// (docs/performance.md, "Memory after a spike"). Any thread; called from the metrics timer.
#pragma once

#include <cstddef>

namespace smartlog::server {

// Bytes of free memory glibc's allocator holds in its arenas (0 when it cannot tell, e.g.
// under a sanitizer's allocator).
std::size_t allocator_free_bytes() noexcept;

// When the allocator holds more than `threshold` free bytes, returns the free pages of every
// arena to the system (malloc_trim) and answers how many free bytes there were; else 0.
// Costs a walk of the free lists: call it at a quiet moment, not per message.
std::size_t release_free_memory(std::size_t threshold) noexcept;

}  // namespace smartlog::server

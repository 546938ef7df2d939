#include "server/memory_release.hpp"

#include <malloc.h>

namespace smartlog::server {

std::size_t allocator_free_bytes() noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const struct mallinfo2 info = ::mallinfo2();
    return info.fordblks;
#else
    return 0;
#endif
}

std::size_t release_free_memory(std::size_t threshold) noexcept {
    const std::size_t free_bytes = allocator_free_bytes();
    if (free_bytes <= threshold) return 0;
    ::malloc_trim(0);
    return free_bytes;
}

}  // namespace smartlog::server

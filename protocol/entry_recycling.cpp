#include "protocol/entry_recycling.hpp"

#include <algorithm>
#include <utility>

namespace smartlog::protocol {
namespace {

// Ten messages of 100 entries; an entry whose strings hold more than this is freed. At most
// about 2 MiB kept per thread.
constexpr std::size_t kMaxKept = 1024;
constexpr std::size_t kMaxKeptBytesPerEntry = 2048;

thread_local std::vector<IncomingEntry> kept;

}  // namespace

void recycle_entries(std::vector<IncomingEntry>&& used) noexcept {
    const auto too_large = [](const IncomingEntry& e) {
        return e.message.capacity() + e.metadata.capacity() + e.encryption.capacity() >
               kMaxKeptBytesPerEntry;
    };
    if (kept.empty()) {
        // The whole vector becomes the store: no entry moves and nothing is allocated.
        kept.swap(used);
        std::erase_if(kept, too_large);
        if (kept.size() > kMaxKept) kept.resize(kMaxKept);
        return;
    }
    // Only into the room the store has, so that keeping never allocates.
    for (auto& e : used) {
        if (kept.size() >= std::min(kMaxKept, kept.capacity())) break;
        if (!too_large(e)) kept.push_back(std::move(e));
    }
}

void drop_recycled_entries() noexcept { std::vector<IncomingEntry>().swap(kept); }

void reuse_recycled_buffers(IncomingEntry& scratch) noexcept {
    if (kept.empty()) return;
    scratch = std::move(kept.back());
    kept.pop_back();
}

}  // namespace smartlog::protocol

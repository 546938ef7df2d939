#include "core/batcher.hpp"

#include <cassert>

namespace smartlog::core {

Batcher::Batcher(std::size_t max_entries, std::chrono::milliseconds max_delay,
                 std::size_t max_bytes)
    : max_entries_(max_entries), max_delay_(max_delay), max_bytes_(max_bytes) {
    assert(max_entries > 0);
}

bool Batcher::add(EntryPtr e, time_point now) {
    assert(fits(*e));
    if (pending_.empty()) {
        opened_at_ = now;
        pending_.reserve(max_entries_);
    }
    pending_bytes_ += e->encoded().size() + 1;
    pending_.push_back(std::move(e));
    return pending_.size() >= max_entries_;
}

void Batcher::recycle(std::vector<EntryPtr> used) noexcept {
    used.clear();
    if (pending_.empty() && pending_.capacity() < used.capacity()) pending_.swap(used);
}

std::vector<EntryPtr> Batcher::take() {
    std::vector<EntryPtr> out;
    out.swap(pending_);
    pending_bytes_ = 0;
    return out;
}

}  // namespace smartlog::core

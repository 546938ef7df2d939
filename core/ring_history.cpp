#include "core/ring_history.hpp"

#include <cassert>

namespace smartlog::core {

std::size_t entry_bytes(const Entry& e) noexcept {
    return sizeof(Entry) + e.id.size() + e.level.size() + e.message.size() + e.metadata.size() +
           e.encryption.size() + e.app_id.size() + e.user_id.size() + e.encoded.size();
}

RingHistory::RingHistory(std::size_t capacity, std::size_t max_bytes)
    : buffer_(capacity), max_bytes_(max_bytes) {
    assert(capacity > 0 && max_bytes > 0);
}

const EntryPtr& RingHistory::at(std::size_t index) const noexcept {
    return buffer_[(head_ + index) % buffer_.size()];
}

void RingHistory::evict_oldest() {
    bytes_ -= entry_bytes(*buffer_[head_]);
    buffer_[head_].reset();
    head_ = (head_ + 1) % buffer_.size();
    --size_;
    ++evicted_;
}

void RingHistory::push(EntryPtr e) {
    const std::size_t cost = entry_bytes(*e);
    if (size_ == buffer_.size()) evict_oldest();
    while (size_ > 0 && bytes_ + cost > max_bytes_) evict_oldest();
    buffer_[(head_ + size_) % buffer_.size()] = std::move(e);
    ++size_;
    bytes_ += cost;
}

void RingHistory::push_all(std::vector<EntryPtr> entries) {
    // entry_bytes() reads the size of every string of an Entry: four cache lines of it.
    constexpr std::size_t kAhead = 8;
    auto prefetch = [](const Entry* e) {
        const char* p = reinterpret_cast<const char*>(e);
        for (std::size_t off = 0; off < sizeof(Entry); off += 64) __builtin_prefetch(p + off);
    };
    for (std::size_t i = 0; i < entries.size() && i < kAhead; ++i) prefetch(entries[i].get());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i + kAhead < entries.size()) prefetch(entries[i + kAhead].get());
        push(std::move(entries[i]));
    }
}

RingHistory::Slice RingHistory::query(const Filter& f, std::size_t limit,
                                      std::optional<std::string_view> after_id,
                                      std::size_t in_flight) const {
    Slice slice;
    const std::size_t end = in_flight >= size_ ? 0 : size_ - in_flight;
    std::size_t begin = 0;
    if (after_id) {
        // Ids grow with arrival order, so the ring is sorted by id: binary search.
        std::size_t lo = 0, hi = size_;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (at(mid)->id < *after_id) lo = mid + 1; else hi = mid;
        }
        if (lo < size_ && at(lo)->id == *after_id) {
            begin = lo + 1;
        } else {
            slice.gap = true;
        }
    }
    if (limit == 0 || begin >= end) return slice;

    // Walk back from the newest so that `limit` keeps the newest matches.
    std::vector<EntryPtr> newest_first;
    for (std::size_t i = end; i > begin; --i) {
        const EntryPtr& e = at(i - 1);
        if (!f.matches(*e)) continue;
        if (newest_first.size() == limit) {
            if (after_id) slice.gap = true;
            break;
        }
        newest_first.push_back(e);
    }
    slice.entries.assign(newest_first.rbegin(), newest_first.rend());
    return slice;
}

std::size_t RingHistory::clear() {
    const std::size_t count = size_;
    for (auto& e : buffer_) e.reset();
    head_ = 0;
    size_ = 0;
    bytes_ = 0;
    return count;
}

}  // namespace smartlog::core

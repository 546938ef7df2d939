#include "core/ring_history.hpp"

#include <algorithm>
#include <cassert>

namespace smartlog::core {

std::size_t entry_bytes(const Entry& e) noexcept { return e.bytes(); }

RingHistory::RingHistory(std::size_t capacity, std::size_t max_bytes)
    : capacity_(capacity), max_bytes_(max_bytes) {
    assert(capacity > 0 && max_bytes > 0);
}

void RingHistory::grow() {
    // Doubling keeps a push O(1) amortised: each move here pays for as many pushes since the
    // last growth.
    constexpr std::size_t kFirstSlots = 16;
    const std::size_t slots = std::min(capacity_, std::max(kFirstSlots, 2 * buffer_.size()));
    std::vector<EntryPtr> bigger;
    bigger.reserve(slots);
    for (std::size_t i = 0; i < size_; ++i)
        bigger.push_back(std::move(buffer_[(head_ + i) % buffer_.size()]));
    bigger.resize(slots);
    buffer_.swap(bigger);
    head_ = 0;
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
    ++removed_;
}

void RingHistory::push(EntryPtr e) {
    const std::size_t cost = entry_bytes(*e);
    if (size_ == capacity_) evict_oldest();
    while (size_ > 0 && bytes_ + cost > max_bytes_) evict_oldest();
    if (size_ == buffer_.size()) grow();
    buffer_[(head_ + size_) % buffer_.size()] = std::move(e);
    ++size_;
    bytes_ += cost;
}

void RingHistory::push_all(std::vector<EntryPtr> entries) {
    // entry_bytes() reads the Entry's header: memory that another core wrote.
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

namespace {

// Index of the first kept entry whose id is not less than `id` (ids grow with arrival order).
template <class At>
std::size_t lower_bound_id(std::size_t size, std::string_view id, At at) {
    std::size_t lo = 0, hi = size;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (at(mid)->id() < id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

}  // namespace

std::uint64_t RingHistory::answer_start(const Filter& f, std::size_t limit,
                                        std::optional<std::string_view> after_id, std::uint64_t end,
                                        bool& gap) const {
    gap = false;
    const std::size_t end_index = static_cast<std::size_t>(end - removed_);
    std::size_t begin = 0;
    if (after_id) {
        const std::size_t i = lower_bound_id(
            size_, *after_id, [this](std::size_t k) -> const EntryPtr& { return at(k); });
        if (i < size_ && at(i)->id() == *after_id) {
            begin = i + 1;
        } else {
            gap = true;
        }
    }
    if (limit == 0 || begin >= end_index) return end;
    if (f.accepts_all()) {
        if (end_index - begin > limit) {
            if (after_id) gap = true;
            begin = end_index - limit;
        }
        return removed_ + begin;
    }
    // Walk back from the newest so that `limit` keeps the newest matches.
    std::size_t found = 0;
    std::size_t start = end_index;
    for (std::size_t i = end_index; i > begin; --i) {
        if (!f.matches(*at(i - 1))) continue;
        if (found == limit) {
            if (after_id) gap = true;
            break;
        }
        ++found;
        start = i - 1;
    }
    return removed_ + start;
}

RingHistory::Page RingHistory::page(const Filter& f, std::uint64_t from, std::uint64_t end,
                                    std::size_t max_bytes) const {
    Page out;
    if (from < removed_) {
        out.gap = true;
        from = removed_;
    }
    end = std::min(end, end_seq());
    std::size_t bytes = 0;
    std::uint64_t seq = from;
    for (; seq < end && (out.entries.empty() || bytes < max_bytes); ++seq) {
        const EntryPtr& e = at(static_cast<std::size_t>(seq - removed_));
        if (!f.matches(*e)) continue;
        bytes += e->encoded().size();
        out.entries.push_back(e);
    }
    out.next = seq;
    return out;
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
            if (at(mid)->id() < *after_id) lo = mid + 1;
            else hi = mid;
        }
        if (lo < size_ && at(lo)->id() == *after_id) {
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
    removed_ += size_;
    // Gives the slots back too: an emptied app holds no memory for its history.
    std::vector<EntryPtr>().swap(buffer_);
    head_ = 0;
    size_ = 0;
    bytes_ = 0;
    return count;
}

}  // namespace smartlog::core

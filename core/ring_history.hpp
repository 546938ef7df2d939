// core/ring_history.hpp: the recent entries of one app, in arrival order, bounded both in
// count and in bytes (history_limit, history_max_bytes: docs/protocol.md "History").
// Not thread-safe: owned by the network thread (docs/threading.md).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "core/entry.hpp"
#include "core/filter.hpp"

namespace smartlog::core {

// What one kept entry costs: the bytes of its one allocation (Entry::bytes()), not the
// allocator's own overhead.
std::size_t entry_bytes(const Entry& e) noexcept;

class RingHistory {
public:
    // Keeps at most `capacity` entries and, beyond the newest one, at most `max_bytes` bytes
    // of them as entry_bytes() counts. Allocates nothing until the first push: its slots grow
    // with the entries kept (by doubling, up to `capacity`), and clear() gives them back, so an
    // app that keeps little costs little. REQUIRES: capacity > 0, max_bytes > 0.
    explicit RingHistory(std::size_t capacity,
                         std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

    // Appends `e`; forgets the oldest entries while either bound is passed, counting them in
    // evicted(). The newest entry is always kept, even when it alone is over max_bytes.
    // REQUIRES: e->id is greater than the id of every entry already kept.
    void push(EntryPtr e);
    // push() of each of `entries`, in order, with their Entry objects fetched ahead: the
    // restore at start-up (server/hub.cpp) fills histories with a million entries built on
    // other threads, whose memory is not in this core's cache.
    void push_all(std::vector<EntryPtr> entries);

    struct Slice {
        std::vector<EntryPtr> entries;  // oldest first
        bool gap = false;  // entries between `after_id` and the first one returned are gone
    };

    // The entries that `f` accepts, oldest first, at most `limit` (the newest when it cuts),
    // leaving out the newest `in_flight` entries (still waiting in a live batch).
    // With `after_id`: only entries after it; when it is no longer kept the slice starts at the
    // oldest entry kept and says `gap`, as it does when `limit` cuts a resume.
    Slice query(const Filter& f, std::size_t limit, std::optional<std::string_view> after_id,
                std::size_t in_flight = 0) const;

    // Every entry ever pushed has a sequence number: 0 for the first, counting on across
    // evictions and clears. A history answer that leaves in pages keeps its place by them.
    std::uint64_t first_seq() const noexcept { return removed_; }        // of the oldest entry kept
    std::uint64_t end_seq() const noexcept { return removed_ + size_; }  // of the next push

    // Where the answer to a request_history starts: the sequence number of the oldest of the
    // newest `limit` entries that `f` accepts among those before `end` (and after `after_id`
    // when given). `gap` as in query(). Returns `end` when nothing matches.
    // REQUIRES: first_seq() <= end <= end_seq().
    std::uint64_t answer_start(const Filter& f, std::size_t limit,
                               std::optional<std::string_view> after_id, std::uint64_t end,
                               bool& gap) const;

    struct Page {
        std::vector<EntryPtr> entries;  // oldest first
        std::uint64_t next = 0;         // sequence number to continue from
        bool gap = false;  // entries from `from` on were evicted or cleared before this page
    };
    // The entries `f` accepts with sequence numbers in [from, end), oldest first, stopping once
    // their encoded text reaches `max_bytes` (at least one entry when one matches).
    Page page(const Filter& f, std::uint64_t from, std::uint64_t end, std::size_t max_bytes) const;

    // Forgets every entry; returns how many there were.
    std::size_t clear();

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    // Slots allocated now: at most capacity().
    std::size_t slots() const noexcept { return buffer_.size(); }
    // Sum of entry_bytes() over the entries kept.
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t max_bytes() const noexcept { return max_bytes_; }
    std::uint64_t evicted() const noexcept { return evicted_; }
    // The entry at `index`, 0 being the oldest. REQUIRES: index < size().
    const EntryPtr& at(std::size_t index) const noexcept;

private:
    void evict_oldest();
    // Doubles the slots (up to capacity_), moving the entries to the front in order.
    void grow();

    std::vector<EntryPtr> buffer_;  // the ring: its size is the slots allocated
    std::size_t capacity_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::size_t head_ = 0;  // index of the oldest entry
    std::size_t size_ = 0;
    std::uint64_t evicted_ = 0;
    std::uint64_t removed_ = 0;  // entries evicted or cleared: the oldest kept entry's sequence
};

}  // namespace smartlog::core

// core/batcher.hpp: gathers live entries of one app into batches (docs/protocol.md "Batching").
// A batch leaves when it holds max_entries, or max_delay after its first entry, or before an
// entry that would take its entries' text past max_bytes.
// Not thread-safe: owned by the network thread.
#pragma once

#include <chrono>
#include <limits>
#include <vector>

#include "core/entry.hpp"

namespace smartlog::core {

class Batcher {
public:
    using time_point = std::chrono::steady_clock::time_point;

    // max_bytes bounds the encoded entries of a batch with one separator each (a single entry
    // larger than that is a batch of its own). REQUIRES: max_entries > 0.
    Batcher(std::size_t max_entries, std::chrono::milliseconds max_delay,
            std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

    // False when adding `e` would take a non-empty batch past max_bytes: the batch must leave
    // first.
    bool fits(const Entry& e) const noexcept {
        return pending_.empty() || (pending_bytes_ <= max_bytes_ &&
                                    e.encoded().size() + 1 <= max_bytes_ - pending_bytes_);
    }
    // Adds `e`, received at `now`. Returns true when the batch is full and must leave now.
    // REQUIRES: fits(*e).
    bool add(EntryPtr e, time_point now);
    // When the current batch must leave at the latest. REQUIRES: !empty().
    time_point deadline() const noexcept { return opened_at_ + max_delay_; }
    bool due(time_point now) const noexcept { return !empty() && now >= deadline(); }

    bool empty() const noexcept { return pending_.empty(); }
    std::size_t size() const noexcept { return pending_.size(); }
    // The pending batch, in arrival order; the batcher is empty afterwards.
    std::vector<EntryPtr> take();
    // Gives back a vector returned by take() once its batch is sent, so that the next batch
    // reuses its capacity instead of allocating. Its entries are released here.
    void recycle(std::vector<EntryPtr> used) noexcept;

private:
    std::size_t max_entries_;
    std::chrono::milliseconds max_delay_;
    std::size_t max_bytes_;
    std::size_t pending_bytes_ = 0;
    time_point opened_at_{};
    std::vector<EntryPtr> pending_;
};

}  // namespace smartlog::core

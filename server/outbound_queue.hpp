// server/outbound_queue.hpp: the one gate every frame owed to a WebSocket connection passes
// (docs/threading.md, "The outbound gate"). Its deque is private and offer() is the only way in,
// so no path can queue a frame without being charged and judged. Net thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace smartlog::server {

using SharedFrame = std::shared_ptr<const std::string>;

// What a frame is to its connection, which decides what happens when it does not fit.
enum class FrameKind {
    // Shared live data (log batches, periodic and app metrics): skipped when it does not fit;
    // the connection counts what it missed and says so when it has caught up.
    live,
    // An answer the client asked for (acks, errors, pongs, history pages, filter_applied, ...):
    // always queued; over the bound, the connection stops reading that client until room frees.
    reply,
    // A notice the client must not miss (`cleared`): queued when it fits; otherwise the caller
    // keeps it and sends it once the connection has caught up.
    notice,
};

class OutboundQueue {
public:
    // What one queued frame costs beyond its bytes: the shared_ptr control block and the
    // string header (one heap block), the string's own heap block and the deque slot, with
    // malloc's headers. Measured: a 15-byte pong held about 80 bytes; see docs/security.md.
    static constexpr std::size_t kFrameOverhead = 128;

    // `bound`: max_outbound_bytes, counted as cost() of the frames that wait.
    explicit OutboundQueue(std::size_t bound) noexcept : bound_(bound) {}

    static std::size_t cost(const std::string& frame) noexcept {
        return frame.size() + kFrameOverhead;
    }

    // Offers `frame`; true when it was queued. A live or notice frame is refused when frames
    // already wait and it would take what waits past the bound (the frame being written is the
    // socket's already); a reply is always queued.
    bool offer(SharedFrame frame, FrameKind kind);

    bool empty() const noexcept { return frames_.empty(); }
    std::size_t size() const noexcept { return frames_.size(); }
    // The next frame to write. REQUIRES: !empty().
    const SharedFrame& front() const noexcept { return frames_.front(); }
    // The front frame is being written: it no longer counts as waiting.
    void start_writing() noexcept;
    // The front frame was written (or abandoned). REQUIRES: !empty().
    void pop_front() noexcept;
    // Forgets every frame but the one being written (closing without draining).
    void drop_waiting() noexcept;

    // Cost of every frame held, the one being written included.
    std::size_t charged() const noexcept { return charged_; }
    // Cost of the frames that wait behind the one being written.
    std::size_t waiting() const noexcept { return charged_ - writing_cost_; }
    // True while what waits is over the bound: replies still queue, reading should stop.
    bool over_bound() const noexcept { return waiting() > bound_; }
    std::size_t bound() const noexcept { return bound_; }

private:
    std::deque<SharedFrame> frames_;
    std::size_t bound_;
    std::size_t charged_ = 0;
    std::size_t writing_cost_ = 0;  // cost of frames_.front() while it is being written
};

}  // namespace smartlog::server
